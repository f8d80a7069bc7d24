import dgram from 'node:dgram';

/** A loopback UDP socket NGINX logs to over syslog. */
export interface SyslogReceiver {
  /** What NGINX's `access_log` should name: `syslog:server=127.0.0.1:PORT,nohostname,tag=nginx`. */
  readonly target: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Binds a loopback syslog socket; `onMessage` gets each datagram as NGINX sent it, header included. */
export async function startSyslogReceiver(
  onMessage: (message: Buffer) => void,
  options: { receiveBufferBytes?: number; port?: number } = {},
): Promise<SyslogReceiver> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  if (options.receiveBufferBytes !== undefined) {
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes); // capped by the kernel's rmem_max
    } catch {
      // keep the default
    }
  }
  const { port } = socket.address();
  return {
    target: `syslog:server=127.0.0.1:${port},nohostname,tag=nginx`,
    port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const SYSLOG_HEADER = /^<\d{1,3}>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?:nginx: )?/;

/**
 * NGINX opens its access log by path, and `/dev/stdout` cannot be opened when stdout is a socket (journald,
 * or a parent process's pipe). Then NGINX logs over syslog to this loopback UDP relay, which writes each
 * line, header stripped, to `out`.
 */
export function startAccessLogRelay(out: NodeJS.WritableStream): Promise<SyslogReceiver> {
  return startSyslogReceiver((message) => {
    out.write(`${message.toString('utf8').replace(SYSLOG_HEADER, '').replace(/\n$/, '')}\n`);
  });
}
