import http from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Subject CN of the certificate the server presented (HTTPS only). */
  certificateCN?: string;
  certificateSAN?: string;
  /** SHA-256 fingerprint of that certificate: tells two certificates for the same name apart. */
  certificateFingerprint?: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Defaults to the `host` argument. For HTTPS this is also the SNI name. */
  servername?: string;
  timeoutMs?: number;
  /** Source address of the connection (any of 127.0.0.0/8): a client other than 127.0.0.1. */
  localAddress?: string;
  /** A client certificate (PEM) presented over HTTPS. */
  clientCertificate?: { cert: string; key: string };
}

/**
 * Sends one request to 127.0.0.1:port as if `host` resolved there (what `curl --resolve` does), without
 * connection reuse, so every request sees the config NGINX serves right now.
 */
export function request(
  scheme: 'http' | 'https',
  port: number,
  host: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = {
      host: '127.0.0.1',
      port,
      path,
      method: options.method ?? 'GET',
      headers: {
        host: port === (scheme === 'http' ? 80 : 443) ? host : `${host}:${port}`,
        connection: 'close',
        ...options.headers,
      },
      agent: false as const,
      timeout: options.timeoutMs ?? 10_000,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    };
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      // Read the certificate now: once the response ends, the socket may be gone.
      const cert = scheme === 'https' ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const reply: Reply = { status: res.statusCode ?? 0, headers: res.headers, body };
        if (cert !== undefined) {
          const cn = (cert.subject as { CN?: unknown } | undefined)?.CN;
          if (typeof cn === 'string') reply.certificateCN = cn;
          if (typeof cert.subjectaltname === 'string') reply.certificateSAN = cert.subjectaltname;
          if (typeof cert.fingerprint256 === 'string') reply.certificateFingerprint = cert.fingerprint256;
        }
        resolve(reply);
      });
      res.on('error', reject);
    };
    const req =
      scheme === 'http'
        ? http.request(common, onResponse)
        : https.request(
            {
              ...common,
              servername: options.servername ?? host,
              rejectUnauthorized: false,
              ...(options.clientCertificate ?? {}),
            },
            onResponse,
          );
    req.on('timeout', () => req.destroy(new Error(`request to ${host}${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls until `check` passes or the time is up; returns the last value. For waiting on convergence. */
export async function eventually<T>(
  fn: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (check(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (last !== undefined) return last;
  throw lastError instanceof Error ? lastError : new Error('eventually: no value before the deadline');
}

/**
 * Completes (or fails) a TLS 1.2 handshake with 127.0.0.1:port for `servername`, offering only `ciphers`
 * in that order; resolves the cipher agreed on and the subject CN of the certificate the server presented.
 */
export function tls12Handshake(
  port: number,
  servername: string,
  ciphers: string,
): Promise<{ cipher: string; certificateCN: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      ciphers,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`TLS handshake with ${servername} timed out`)));
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher().name;
      const cn = (socket.getPeerCertificate().subject as { CN?: unknown } | undefined)?.CN;
      socket.end();
      resolve({ cipher, certificateCN: typeof cn === 'string' ? cn : undefined });
    });
    socket.once('error', reject);
  });
}
