import net from 'node:net';

/**
 * A tiny FastCGI responder for the tests (the record protocol of the FastCGI 1.0 specification, as NGINX
 * speaks it): it answers every request with JSON of the parameters NGINX sent and the body it read, so a
 * test sees what a PHP application would get. Written here rather than taken from npm: the few FastCGI
 * packages there are unmaintained, and what NGINX needs is a page of code.
 */
export interface FastcgiRequest {
  readonly params: Record<string, string>;
  readonly body: string;
}

export interface FastcgiResponder {
  readonly host: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly requests: FastcgiRequest[];
  close(): Promise<void>;
}

const VERSION = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;

function record(type: number, requestId: number, content: Buffer): Buffer {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(requestId, 2);
  header.writeUInt16BE(content.length, 4);
  header.writeUInt8(padding, 6);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

/** Name-value pairs: each length is one byte, or four with the high bit set. */
function parseParams(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  const length = (): number => {
    const first = data.readUInt8(at);
    if (first < 0x80) {
      at += 1;
      return first;
    }
    const long = data.readUInt32BE(at) & 0x7fffffff;
    at += 4;
    return long;
  };
  while (at < data.length) {
    const nameLength = length();
    const valueLength = length();
    const name = data.subarray(at, at + nameLength).toString('latin1');
    at += nameLength;
    out[name] = data.subarray(at, at + valueLength).toString('latin1');
    at += valueLength;
  }
  return out;
}

export async function startFastcgiResponder(host = '127.0.0.1'): Promise<FastcgiResponder> {
  const requests: FastcgiRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let params: Buffer[] = [];
    let stdin: Buffer[] = [];
    let keepConnection = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 8) {
        const type = buffered.readUInt8(1);
        const requestId = buffered.readUInt16BE(2);
        const contentLength = buffered.readUInt16BE(4);
        const total = 8 + contentLength + buffered.readUInt8(6);
        if (buffered.length < total) return;
        const content = buffered.subarray(8, 8 + contentLength);
        buffered = buffered.subarray(total);
        if (type === BEGIN_REQUEST) {
          keepConnection = (content.readUInt8(2) & 1) === 1;
          params = [];
          stdin = [];
        } else if (type === PARAMS && contentLength > 0) params.push(Buffer.from(content));
        else if (type === STDIN && contentLength > 0) stdin.push(Buffer.from(content));
        else if (type === STDIN) {
          const request = {
            params: parseParams(Buffer.concat(params)),
            body: Buffer.concat(stdin).toString('utf8'),
          };
          requests.push(request);
          const json = JSON.stringify(request);
          const answer = Buffer.from(
            `Status: 200 OK\r\nContent-Type: application/json\r\nX-Backend: fastcgi\r\n\r\n${json}`,
          );
          const end = Buffer.alloc(8);
          socket.write(
            Buffer.concat([
              record(STDOUT, requestId, answer),
              record(STDOUT, requestId, Buffer.alloc(0)),
              record(END_REQUEST, requestId, end),
            ]),
          );
          if (!keepConnection) socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
