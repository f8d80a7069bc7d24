import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface EchoBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly hits: () => number;
  /** TCP connections accepted so far (keep-alive reuses one for many requests). */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** What an echo backend answers: enough for a test to see which pod served it and what NGINX sent. */
export interface EchoReply {
  backend: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A stand-in for a pod: answers every request with JSON describing it, and speaks just enough WebSocket
 * (handshake, then echoes text frames) to prove upgrades pass through NGINX.
 */
export async function startEchoBackend(
  name: string,
  options: { host?: string; port?: number } = {},
): Promise<EchoBackend> {
  let hits = 0;
  let connections = 0;
  const sockets = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    hits += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply: EchoReply = {
        backend: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const delay = /[?&]delay=(\d+)/.exec(req.url ?? '')?.[1];
      // ?status=302&header=Location:/x&header=Set-Cookie:a=b answers with that status and those headers.
      const query = new URL(req.url ?? '/', 'http://echo').searchParams;
      const extra = query
        .getAll('header')
        .map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1)]);
      const send = (): void => {
        res.writeHead(
          Number(query.get('status') ?? 200),
          [['content-type', 'application/json'], ['x-backend', name], ...extra].flat(),
        );
        res.end(JSON.stringify(reply));
      };
      if (delay !== undefined) setTimeout(send, Number(delay));
      else send();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => {
    connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket) => {
    hits += 1;
    sockets.add(socket);
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Backend: ${name}\r\n\r\n`,
    );
    socket.on('data', (frame: Buffer) => {
      const text = decodeClientTextFrame(frame);
      if (text !== undefined) socket.write(encodeServerTextFrame(`${name}: ${text}`));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    name,
    host: address.address,
    port: address.port,
    hits: () => hits,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function decodeClientTextFrame(frame: Buffer): string | undefined {
  if (frame.length < 6 || (frame[0]! & 0x0f) !== 1) return undefined;
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) return undefined;
  const mask = frame.subarray(offset, offset + 4);
  const payload = frame.subarray(offset + 4, offset + 4 + length);
  return Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!)).toString('utf8');
}

function encodeServerTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length >= 126) throw new Error('echo backend: frame too long for this test helper');
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}
