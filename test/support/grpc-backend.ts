import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { certificateFor } from './fixtures.ts';

/** What the gRPC stand-in answers, as the one message of a unary call: who served it and what it got. */
export interface GrpcEcho {
  backend: string;
  path: string;
  authority: string;
  headers: Record<string, string | string[] | undefined>;
  /** The request message, as text. */
  message: string;
}

export interface GrpcBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A gRPC frame: compressed flag, 4-byte length, message. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/**
 * A stand-in for a gRPC pod: HTTP/2 (cleartext, or TLS for GRPCS) answering every unary call with a
 * JSON message describing the request, `grpc-status: 0` in the trailers. Enough to show that NGINX spoke
 * gRPC to it: plain HTTP/1 proxying cannot produce trailers over HTTP/2.
 */
export async function startGrpcBackend(name: string, { tls = false } = {}): Promise<GrpcBackend> {
  const cert = tls ? await certificateFor('grpc.internal') : undefined;
  const server =
    cert === undefined
      ? http2.createServer()
      : http2.createSecureServer({ cert: cert.cert, key: cert.key, allowHTTP1: false });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const reply: GrpcEcho = {
        backend: name,
        path: String(headers[':path']),
        authority: headers[':authority'] ?? headers.host ?? '',
        headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':'))),
        message: body.subarray(5).toString('utf8'),
      };
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(grpcFrame(Buffer.from(JSON.stringify(reply))));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    name,
    host: address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface GrpcReply {
  status: number;
  grpcStatus: string | undefined;
  echo: GrpcEcho | undefined;
}

/** One unary gRPC call over TLS + HTTP/2 to 127.0.0.1:port, as if `host` resolved there. */
export function grpcCall(port: number, host: string, path: string, message: string): Promise<GrpcReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${host}:${port}`, {
      createConnection: () =>
        tls.connect({
          host: '127.0.0.1',
          port,
          servername: host,
          ALPNProtocols: ['h2'],
          rejectUnauthorized: false,
        }),
    });
    session.on('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = 0;
    let grpcStatus: string | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      if (typeof h['grpc-status'] === 'string') grpcStatus = h['grpc-status'];
    });
    req.on('trailers', (t: http2.IncomingHttpHeaders) => {
      if (typeof t['grpc-status'] === 'string') grpcStatus = t['grpc-status'];
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      const body = Buffer.concat(chunks);
      let echo: GrpcEcho | undefined;
      try {
        echo = body.length > 5 ? (JSON.parse(body.subarray(5).toString('utf8')) as GrpcEcho) : undefined;
      } catch {
        echo = undefined;
      }
      resolve({ status, grpcStatus, echo });
    });
    req.on('error', reject);
    req.end(grpcFrame(Buffer.from(message)));
  });
}
