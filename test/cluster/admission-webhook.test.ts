// Gatehouse's validating admission webhook, registered with a real API server: `kubectl apply` of an
// Ingress Gatehouse would refuse fails at once with the reason, and a good one is admitted and served.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import { ingress, ingressClass, serviceWithEndpoints, type IngressSpec } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';
import { freePort } from '../support/ports.ts';

const WEBHOOK = 'validate.ingress.gatehouse.dev';

/** What `kubectl apply` prints when the API server refuses: the Status message. */
async function refusal(create: Promise<unknown>): Promise<string> {
  try {
    await create;
  } catch (error) {
    const body = (error as { body?: unknown }).body;
    const status = JSON.parse(typeof body === 'string' ? body : '{}') as { message?: string; code?: number };
    return `${status.code ?? '?'} ${status.message ?? String(error)}`;
  }
  return 'admitted';
}

/** POSTs a body straight to the webhook, as anyone who can reach its port could. */
function postToWebhook(port: number, ca: Buffer, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate-ingress',
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('admission webhook', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let webhookPort = 0;
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';
  const create = (spec: IngressSpec): Promise<string> => {
    assert.ok(env);
    return refusal(env.networking.createNamespacedIngress({ namespace: 'default', body: ingress(spec) }));
  };

  before(async () => {
    env = await startClusterEnv();
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ingress({ name: 'shop', rules: [{ host: 'shop.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    // Signed by the cluster CA for IP 127.0.0.1, so the caBundle is the cluster CA.
    const serving = await env.cluster.issueServingCert('gatehouse-webhook', ['127.0.0.1']);
    webhookPort = await freePort();
    gatehouse = await env.gatehouse({
      podName: 'gatehouse-0',
      extraArgs: [
        '--validating-webhook',
        `127.0.0.1:${webhookPort}`,
        '--validating-webhook-certificate',
        serving.certPath,
        '--validating-webhook-key',
        serving.keyPath,
      ],
    });
    await env.admin.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
      body: {
        metadata: { name: 'gatehouse' },
        webhooks: [
          {
            name: WEBHOOK,
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
            rules: [
              {
                apiGroups: ['networking.k8s.io'],
                apiVersions: ['v1'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['ingresses'],
              },
            ],
            clientConfig: {
              url: `https://127.0.0.1:${webhookPort}/validate-ingress`,
              caBundle: (await readFile(env.cluster.caPath)).toString('base64'),
            },
          },
        ],
      },
    });
    // The API server picks the configuration up asynchronously: wait until it calls the webhook, and until
    // the webhook answers with a verdict (before the controller has synced it can only say it cannot check).
    const probe = await eventually(
      () =>
        create({
          name: 'probe',
          className: 'missing',
          rules: [{ host: 'probe.test', paths: [{ service: 'web', port: 80 }] }],
        }),
      (v) => v.includes(WEBHOOK) && v.includes('IngressClass missing does not exist'),
    );
    assert.match(probe, new RegExp(WEBHOOK), logs());
  });
  after(async () => {
    await env?.stop();
  });

  it('refuses a snippet annotation, naming the annotation and why', async () => {
    const got = await create({
      name: 'hostile',
      annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200 "pwned";' },
      rules: [{ host: 'hostile.test', paths: [{ service: 'web', port: 80 }] }],
    });
    assert.match(got, /^400 admission webhook "validate\.ingress\.gatehouse\.dev" denied the request: /);
    assert.match(
      got,
      /metadata\.annotations\[nginx\.ingress\.kubernetes\.io\/configuration-snippet\]: snippet annotations are disabled/,
    );
  });

  it('refuses a path NGINX could misread, naming the field', async () => {
    const got = await create({
      name: 'odd-path',
      rules: [
        {
          host: 'odd.test',
          paths: [{ path: '/x{y}', pathType: 'ImplementationSpecific', service: 'web', port: 80 }],
        },
      ],
    });
    assert.match(got, /denied the request: spec\.rules\[0\]\.http\.paths\[0\]\.path: must start with "\/"/);
  });

  it('refuses an Ingress that would lose a conflict, naming the older Ingress', async () => {
    assert.ok(gatehouse);
    // The webhook judges against what the controller has seen: make sure `shop` is served.
    assert.equal(
      await eventually(
        () => answer('http', gatehouse!.httpPort, 'shop.test'),
        (v) => v === '200 web',
      ),
      '200 web',
    );
    const got = await create({
      name: 'shop-copy',
      rules: [{ host: 'shop.test', paths: [{ service: 'web', port: 80 }] }],
    });
    assert.match(
      got,
      /denied the request: .*Prefix path \/ on host shop\.test is already served by the older Ingress default\/shop/,
    );
  });

  it('refuses an Ingress naming an IngressClass that does not exist', async () => {
    const got = await create({
      name: 'classless',
      className: 'gatehose',
      rules: [{ host: 'typo.test', paths: [{ service: 'web', port: 80 }] }],
    });
    assert.match(got, /denied the request: spec\.ingressClassName: IngressClass gatehose does not exist/);
  });

  it('admits a good Ingress, which is then served', async () => {
    assert.ok(gatehouse && env);
    const got = await create({
      name: 'good',
      rules: [{ host: 'good.test', paths: [{ service: 'web', port: 80 }] }],
    });
    assert.equal(got, 'admitted');
    assert.equal(
      await eventually(
        () => answer('http', gatehouse!.httpPort, 'good.test'),
        (v) => v === '200 web',
      ),
      '200 web',
      logs(),
    );
    const stored = (await env.networking.listNamespacedIngress({ namespace: 'default' })).items;
    assert.deepEqual(
      stored.map((i) => i.metadata?.name).sort(),
      ['good', 'shop'],
      'only admitted Ingresses are stored',
    );
  });

  it('refuses a request body over 1 MiB with 413', async () => {
    assert.ok(env);
    const ca = await readFile(env.cluster.caPath);
    // Just over the limit, and far over it: the client must get the answer, not a reset connection.
    for (const size of [1024 * 1024 + 1, 8 * 1024 * 1024]) {
      assert.equal(await postToWebhook(webhookPort, ca, Buffer.alloc(size, 'a')), 413, `${size} bytes`);
    }
    // And it still answers normal reviews afterwards.
    const small = Buffer.from(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: '1',
          kind: { kind: 'Ingress' },
          operation: 'CREATE',
          object: ingress({ name: 'x', rules: [] }),
        },
      }),
    );
    assert.equal(await postToWebhook(webhookPort, ca, small), 200);
  });

  it('needed no permission beyond its RBAC', () => {
    assert.ok(gatehouse);
    assert.deepEqual(forbiddenRequests(gatehouse.logs()), []);
  });
});
