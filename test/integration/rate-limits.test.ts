// Rate and connection limits as a client sees them: requests pass up to the limit and its burst, then get
// the ConfigMap's status (429 here, 503 by default) without reaching the pod; a spared client, another
// client address and another Ingress keep their own budgets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configMap, ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

describe('rate and connection limits', () => {
  let served: ServedFolder | undefined;
  /** Status codes of `n` requests sent one after the other from `localAddress`. */
  const burst = async (host: string, n: number, localAddress = '127.0.0.1'): Promise<number[]> => {
    assert.ok(served);
    const codes: number[] = [];
    for (let i = 0; i < n; i++)
      codes.push((await request('http', served.gatehouse.httpPort, host, `/r${i}`, { localAddress })).status);
    return codes;
  };

  before(async () => {
    served = await serveFolder(
      ['limited', 'other', 'slow'],
      [
        ingress({
          name: 'limited',
          annotations: {
            // 1 request per second with bursts of 3: 4 pass at once, the 5th is refused.
            'nginx.ingress.kubernetes.io/limit-rps': '1',
            'nginx.ingress.kubernetes.io/limit-burst-multiplier': '3',
            'nginx.ingress.kubernetes.io/limit-allowlist': '127.0.0.9',
          },
          rules: [
            {
              host: 'limited.example.com',
              paths: [
                { path: '/', service: 'limited', port: 80 },
                { path: '/other-path', service: 'limited', port: 80 },
              ],
            },
          ],
        }),
        ingress({
          name: 'other',
          annotations: { 'nginx.ingress.kubernetes.io/limit-rps': '1' },
          rules: [{ host: 'other.example.com', paths: [{ service: 'other', port: 80 }] }],
        }),
        ingress({
          name: 'slow',
          annotations: { 'nginx.ingress.kubernetes.io/limit-connections': '1' },
          rules: [{ host: 'slow.example.com', paths: [{ service: 'slow', port: 80 }] }],
        }),
        configMap({ 'limit-req-status-code': '429' }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('lets the limit and its burst through, then answers 429 without reaching the pod', async () => {
    assert.ok(served);
    const pod = served.backends.get('limited');
    const hitsBefore = pod.hits();
    const codes = await burst('limited.example.com', 7, '127.0.0.2');
    assert.deepEqual(codes, [200, 200, 200, 200, 429, 429, 429]);
    assert.equal(pod.hits() - hitsBefore, 4);
  });

  it('counts per client address, and all paths of the Ingress share one budget', async () => {
    assert.deepEqual(await burst('limited.example.com', 4, '127.0.0.3'), [200, 200, 200, 200]);
    assert.ok(served);
    const reply = await request('http', served.gatehouse.httpPort, 'limited.example.com', '/other-path', {
      localAddress: '127.0.0.3',
    });
    assert.equal(reply.status, 429);
  });

  it('spares the clients of limit-allowlist', async () => {
    assert.deepEqual(await burst('limited.example.com', 8, '127.0.0.9'), Array(8).fill(200));
  });

  it('gives every Ingress its own zone', async () => {
    await burst('limited.example.com', 6, '127.0.0.4');
    const codes = await burst('other.example.com', 7, '127.0.0.4');
    // limit-rps 1 with the default burst multiplier (5): 6 pass.
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 200, 429]);
  });

  it('refuses a second request in progress from the same client with limit-conn-status-code (503)', async () => {
    assert.ok(served);
    const port = served.gatehouse.httpPort;
    const first = request('http', port, 'slow.example.com', '/?delay=1500', { localAddress: '127.0.0.5' });
    await new Promise((r) => setTimeout(r, 300));
    const second = await request('http', port, 'slow.example.com', '/', { localAddress: '127.0.0.5' });
    const elsewhere = await request('http', port, 'slow.example.com', '/', { localAddress: '127.0.0.6' });
    assert.equal(second.status, 503);
    assert.equal(elsewhere.status, 200);
    assert.equal((await first).status, 200);
    const after = await request('http', port, 'slow.example.com', '/', { localAddress: '127.0.0.5' });
    assert.equal(after.status, 200, 'once the first is done, the client may send again');
  });
});
