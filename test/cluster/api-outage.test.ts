// Gatehouse in a real cluster whose API server goes away: NGINX keeps serving the last config untouched,
// and once the API server is back the informers re-watch and pick up what changed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import type { HostedBackend } from '../support/netns.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

/** How long the API server stays away once its process is gone. */
const OUTAGE_MS = 3000;
/** The informers back off up to 10 s between restarts; give them one full round after the outage. */
const RECOVERY_MS = 20_000;

describe('API server outage', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let blue: HostedBackend | undefined;
  let green: HostedBackend | undefined;
  /** While the restarted API server loads its RBAC bindings it denies every request. */
  const restart = { from: 0, to: 0 };
  const logs = (): string => gatehouse?.logs().slice(-5000) ?? '';
  const liveConfig = (): Promise<string> => {
    assert.ok(gatehouse);
    return readFile(path.join(gatehouse.confDir, 'nginx.conf'), 'utf8');
  };
  const http = (host: string): Promise<string> => {
    assert.ok(gatehouse);
    return answer('http', gatehouse.httpPort, host);
  };

  before(async () => {
    env = await startClusterEnv();
    blue = await env.backend('blue');
    green = await env.backend('green');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: blue.host, port: blue.port }]),
      ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0' });
    assert.equal(
      await eventually(
        () => http('web.test'),
        (v) => v === '200 blue',
      ),
      '200 blue',
      logs(),
    );
  });
  after(async () => {
    await env?.stop();
  });

  it('keeps serving the same config, without a failed request, while the API server is down', async () => {
    assert.ok(env && gatehouse);
    const configBefore = await liveConfig();
    const traffic = env.traffic(gatehouse.httpPort, 'web.test', '200 blue');
    // kube-apiserver stops listening at once, then lingers on open watches until the helper's SIGKILL.
    await env.cluster.stopApiServer();
    const down = Date.now();
    const countAtStop = traffic.count;
    await eventually(
      () => Promise.resolve(Date.now() - down),
      (elapsed) => elapsed >= OUTAGE_MS,
      OUTAGE_MS + 1000,
    );
    const report = await traffic.stop();
    assert.ok(
      report.total - countAtStop > 20,
      `only ${report.total - countAtStop} requests during the outage`,
    );
    assert.deepEqual(report.failures, [], logs());
    assert.equal(await liveConfig(), configBefore, 'the live nginx.conf changed during the outage');
    assert.equal(
      (await fetch(`http://127.0.0.1:${gatehouse.healthzPort}/healthz`)).status,
      200,
      'healthy: NGINX serves a verified config',
    );
  });

  it('backs off while the API server is down instead of retrying in a tight loop', () => {
    assert.ok(gatehouse);
    // One informer's restarts, as the log announces them: each wait doubles (200 ms, 400 ms, ...).
    const waits = gatehouse
      .logs()
      .split('\n')
      .filter((l) => l.includes('informer failed; restarting {"kind":"Ingress"'))
      .map((l) => Number(/"inMs":(\d+)/.exec(l)?.[1]));
    assert.ok(waits.length >= 3, `the controller noticed the outage: ${waits.join(', ')}\n${logs()}`);
    assert.deepEqual(
      waits.slice(0, 4),
      [200, 400, 800, 1600].slice(0, waits.length),
      `restart waits of the Ingress informer: ${waits.join(', ')} ms`,
    );
  });

  it('picks up changes made after the API server is back', async () => {
    assert.ok(env);
    restart.from = Date.now();
    await env.cluster.startApiServer();
    restart.to = Date.now() + 1000;
    await env.apply(
      ...serviceWithEndpoints('web', [{ ip: green!.host, port: green!.port }]),
      ingress({ name: 'late', rules: [{ host: 'late.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    assert.equal(
      await eventually(
        () => http('late.test'),
        (v) => v === '200 green',
        RECOVERY_MS,
      ),
      '200 green',
      logs(),
    );
    assert.equal(await http('web.test'), '200 green', 'the moved EndpointSlice applies to every Ingress');
    assert.deepEqual(
      await eventually(
        () => env!.ingressAddresses('late'),
        (v) => v.length > 0,
        RECOVERY_MS,
      ),
      ['127.0.0.1'],
      'the leader writes status again',
    );
  });

  it('needed no permission beyond its RBAC', () => {
    assert.ok(gatehouse);
    assert.deepEqual(forbiddenRequests(gatehouse.logs(), restart), []);
  });
});
