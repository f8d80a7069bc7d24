import assert from 'node:assert/strict';
import https from 'node:https';
import type { Server } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { reviewIngress } from '../../src/webhook/review.ts';
import { startWebhookServer } from '../../src/webhook/webhook-server.ts';
import { certificateFor, ingress, ingressClass } from '../support/fixtures.ts';
import { freePort } from '../support/ports.ts';
import { OPTIONS, snapshotOf } from '../unit/harness.ts';

/** POSTs an AdmissionReview the way the API server does and returns the parsed answer. */
function admit(
  port: number,
  body: unknown,
): Promise<{ status: number; review: { response?: { allowed: boolean; status?: { message?: string } } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, review: JSON.parse(text) as never }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('admission webhook server', () => {
  let server: Server | undefined;
  let port = 0;

  before(async () => {
    const snapshot = snapshotOf([
      ingressClass(),
      ingress({
        name: 'older',
        namespace: 'shop',
        creationTimestamp: '2026-01-01T00:00:00Z',
        rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', service: 'cart', port: 80 }] }],
      }),
    ]);
    const cert = await certificateFor('127.0.0.1');
    port = await freePort();
    server = await startWebhookServer({
      host: '127.0.0.1',
      port,
      cert: cert.cert,
      key: cert.key,
      logger: createLogger({ level: 'error', format: 'text' }),
      review: (ing) => reviewIngress(snapshot, OPTIONS, ing),
    });
  });

  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const review = (object: unknown, namespace = 'shop'): unknown => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { kind: 'Ingress' }, operation: 'CREATE', namespace, object },
  });

  it('takes the namespace from the request when the object leaves it out, and finds the conflict there', async () => {
    const newer = ingress({
      name: 'newer',
      rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', service: 'cart', port: 80 }] }],
    });
    delete (newer.metadata as { namespace?: string }).namespace;
    const { status, review: answer } = await admit(port, review(newer));
    assert.equal(status, 200);
    const response = answer.response;
    assert.equal(response?.allowed, false);
    // The request says it is in shop, where the older Ingress is: named, as within any one namespace.
    assert.match(response.status?.message ?? '', /already served by the older Ingress shop\/older/);
  });

  it('admits the same Ingress in another namespace only if it does not clash there', async () => {
    const elsewhere = ingress({
      name: 'newer',
      rules: [{ host: 'blog.example.com', paths: [{ path: '/', service: 'blog', port: 80 }] }],
    });
    delete (elsewhere.metadata as { namespace?: string }).namespace;
    const { review: answer } = await admit(port, review(elsewhere, 'blog'));
    assert.equal(answer.response?.allowed, true);
  });
});
