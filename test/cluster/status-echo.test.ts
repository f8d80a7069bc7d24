// The leader's own status writes come back through the watch as updates of every Ingress it serves (every
// follower sees them too). They change nothing the config is made from, so they must not make any replica
// translate and render everything again (at 10,000 Ingresses that was minutes of CPU and gigabytes of
// garbage per replica), and the status, once right, is not written again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';
import { countMatches } from '../support/integration.ts';

/** `gatehouse_reconciles_total{outcome="…"}` on a controller's /metrics (0 when not counted yet). */
async function reconciles(g: ClusterGatehouse, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.healthzPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`gatehouse_reconciles_total{outcome="${outcome}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('status write echoes', () => {
  let env: ClusterEnv | undefined;
  after(async () => {
    await env?.stop();
  });
  before(async () => {
    env = await startClusterEnv();
  });

  it('a status write coming back through the watch makes no reconcile, and is written once', async () => {
    assert.ok(env);
    const app = await env.backend('app');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('app', [{ ip: app.host, port: app.port }]),
      ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ service: 'app', port: 80 }] }] }),
    );
    const g = await env.gatehouse({ podName: 'gatehouse-0' });
    const addresses = await eventually(
      () => env!.ingressAddresses('web'),
      (v) => v.length > 0,
    );
    assert.deepEqual(addresses, ['127.0.0.1'], g.logs());
    // Debounce (100 ms) and three of the test's 1 s status resyncs.
    await sleep(3500);
    assert.equal(await reconciles(g, 'unchanged'), 0, g.logs());
    assert.equal(await reconciles(g, 'started'), 1, g.logs());
    assert.equal(countMatches(g.logs(), 'updated Ingress status'), 1, g.logs());
  });
});
