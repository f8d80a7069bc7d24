import http from 'node:http';
import {
  INSPECTION_PREFIX,
  inspect,
  inspectionAllowed,
  type InspectionAccess,
  type InspectionReply,
  type InspectionSource,
} from './inspection.ts';

export interface HealthSource {
  /** True while NGINX runs a configuration that was verified to be live. */
  healthy(): Promise<boolean>;
  /** Extra plain-text lines for humans: checksum, uptime. */
  describe(): string;
}

export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * `GET /healthz`: 200 while NGINX serves a valid config, 503 otherwise; `GET /livez`: 200 while the
 * controller answers at all (the liveness of the sidecar pod's controller container); `GET /metrics`: Prometheus;
 * `GET /debug/…`: the inspection endpoints, to the clients `inspection.access` allows (loopback by default).
 */
export async function startHealthServer(
  port: number,
  host: string,
  source: HealthSource,
  metrics?: MetricsSource,
  inspection?: { readonly access: InspectionAccess; readonly source: InspectionSource },
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith(INSPECTION_PREFIX) === true && inspection !== undefined) {
      if (!inspectionAllowed(inspection.access, req.socket.remoteAddress)) {
        res
          .writeHead(403, { 'content-type': 'text/plain' })
          .end('inspection is only served to loopback clients (see --inspection)\n');
        return;
      }
      inspect(new URL(req.url, 'http://localhost'), inspection.source)
        .catch((error: unknown): InspectionReply => ({
          status: 500,
          contentType: 'text/plain',
          body: `${(error as Error).message}\n`,
        }))
        .then((answer) =>
          res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body),
        )
        .catch(() => undefined);
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics' && metrics !== undefined) {
      metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/readyz')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    source.healthy().then(
      (ok) =>
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${ok ? 'ok' : 'not ready'}\n${source.describe()}\n`),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
