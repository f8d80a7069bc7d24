import dgram from 'node:dgram';

export interface AccessLogRelay {
  /** What NGINX's `access_log` should name: `syslog:server=127.0.0.1:PORT,nohostname,tag=nginx`. */
  readonly target: string;
  close(): Promise<void>;
}

const SYSLOG_HEADER = /^<\d{1,3}>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?:nginx: )?/;

/**
 * NGINX opens its access log by path, and `/dev/stdout` cannot be opened when stdout is a socket (journald,
 * or a parent process's pipe). Then NGINX logs over syslog to this loopback UDP relay, which writes each
 * line, header stripped, to `out`.
 */
export async function startAccessLogRelay(out: NodeJS.WritableStream): Promise<AccessLogRelay> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message) => {
    out.write(`${message.toString('utf8').replace(SYSLOG_HEADER, '').replace(/\n$/, '')}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    target: `syslog:server=127.0.0.1:${port},nohostname,tag=nginx`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
