import https from 'node:https';
import type { V1Ingress } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { ReviewResult } from './review.ts';

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  readonly logger: Logger;
  /** The pure check; called with the Ingress from the AdmissionReview. */
  readonly review: (ingress: V1Ingress) => ReviewResult;
  /** Largest request body accepted; an AdmissionReview for one Ingress is a few KiB. */
  readonly maxBodyBytes?: number;
}

interface AdmissionReviewRequest {
  apiVersion?: string;
  request?: {
    uid?: string;
    kind?: { kind?: string };
    operation?: string;
    namespace?: string;
    object?: V1Ingress;
  };
}

/**
 * The validating admission webhook: HTTPS, POST of an AdmissionReview (admission.k8s.io/v1), bounded body,
 * short timeouts. Answers with the reconciler's own verdict.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<https.Server> {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') {
      reply(405, { error: 'POST an AdmissionReview' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit, keep nothing but read on, and answer 413 once the body is in: closing a socket the
    // client is still writing to resets the connection, and the client loses the answer with it.
    // requestTimeout bounds how long a client can keep sending.
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) chunks.length = 0;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (size > limit) {
        reply(413, { error: `request larger than ${limit} bytes` });
        return;
      }
      let review: AdmissionReviewRequest;
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReviewRequest;
      } catch {
        reply(400, { error: 'body is not JSON' });
        return;
      }
      const uid = review.request?.uid ?? '';
      const raw = review.request?.object;
      // The request names the namespace even where the object leaves it out.
      const object =
        raw === undefined || raw.metadata?.namespace !== undefined || review.request?.namespace === undefined
          ? raw
          : { ...raw, metadata: { ...raw.metadata, namespace: review.request.namespace } };
      const respond = (allowed: boolean, message: string, warnings: readonly string[] = []): void =>
        reply(200, {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid,
            allowed,
            ...(allowed ? {} : { status: { code: 400, reason: 'Invalid', message } }),
            ...(warnings.length > 0 ? { warnings } : {}),
          },
        });
      if (
        review.request?.kind?.kind !== 'Ingress' ||
        object === undefined ||
        review.request.operation === 'DELETE'
      ) {
        respond(true, '');
        return;
      }
      try {
        const started = process.hrtime.bigint();
        const result = options.review(object);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        options.logger.info(result.allowed ? 'admission: allowed Ingress' : 'admission: denied Ingress', {
          ingress: `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`,
          ...(result.allowed ? {} : { reason: result.message }),
          ms: Math.round(ms * 100) / 100,
        });
        respond(result.allowed, result.message, result.warnings);
      } catch (error) {
        options.logger.error('admission: review failed', { error: (error as Error).message });
        respond(false, 'Gatehouse could not check this Ingress; see the controller log');
      }
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
