// Events as the Kubernetes event recorder writes them, with two replicas: one Event per Ingress and reason
// however many problems it has, no new Event when the Lease changes hands, a condition that comes back
// counted on its Event, and the status and Events of many Ingresses written in full against an API server
// that throttles (429 with Retry-After), none lost.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const ELECTION_ID = 'gatehouse-events';
const PATHS = 300;

/** `reason count` per Event about an Ingress, sorted: what `kubectl describe` would list. */
async function eventSummary(env: ClusterEnv, name: string): Promise<string[]> {
  return (await env.eventsFor(name)).map((e) => `${e.reason ?? ''} ${e.count ?? 0}`).sort();
}

function byName(events: readonly CoreV1Event[]): Map<string, string> {
  return new Map(events.map((e) => [e.metadata.name ?? '', `${e.reason ?? ''} ${e.count ?? 0}`]));
}

describe('Events: once per object and reason, across leaders', () => {
  let env: ClusterEnv | undefined;
  const replicas = new Map<string, ClusterGatehouse>();
  const logs = (): string =>
    [...replicas.values()].map((r) => `--- ${r.podName}\n${r.logs().slice(-3000)}`).join('\n');
  const webs = Array.from({ length: 10 }, (_, i) => `web-${i}`);

  before(async () => {
    env = await startClusterEnv();
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ...webs.map((name) =>
        ingress({ name, rules: [{ host: `${name}.test`, paths: [{ service: 'web', port: 80 }] }] }),
      ),
      // Every path to a Service that does not exist: one problem per path.
      ingress({
        name: 'many',
        rules: [
          {
            host: 'many.test',
            paths: Array.from({ length: PATHS }, (_, i) => ({
              path: `/p${i}`,
              service: 'missing',
              port: 80,
            })),
          },
        ],
      }),
      ingress({ name: 'flaky', rules: [{ host: 'flaky.test', paths: [{ service: 'flaky', port: 80 }] }] }),
    );
    const started = await Promise.all(
      ['gatehouse-a', 'gatehouse-b'].map((podName) =>
        env!.gatehouse({ podName, electionId: ELECTION_ID, electionTtl: 3 }),
      ),
    );
    for (const r of started) replicas.set(r.podName, r);
  });
  after(async () => {
    await env?.stop();
  });

  it('posts one Event per Ingress and reason, however many problems it has', async () => {
    assert.ok(env);
    const many = await eventually(
      () => env!.eventsFor('many'),
      // Events are written in the background in no set order: wait for both, then check there are no more.
      (list) => list.some((e) => e.reason === 'Degraded') && list.some((e) => e.reason === 'Served'),
      20_000,
    );
    // Served (its paths answer 503), and one Warning for the 300 paths.
    assert.deepEqual(many.map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.count ?? 0}`).sort(), [
      'Normal Served 1',
      'Warning Degraded 1',
    ]);
    const message = many.find((e) => e.reason === 'Degraded')?.message ?? '';
    assert.match(message, new RegExp(`^${PATHS} problems: spec\\.rules\\[0\\]`));
    assert.match(message, /Service default\/missing does not exist; requests get 503/);
    for (const name of webs) {
      assert.deepEqual(
        await eventually(
          () => eventSummary(env!, name),
          (s) => s.length > 0,
        ),
        ['Served 1'],
        name,
      );
    }
  });

  it('posts nothing new when another replica takes the Lease over', async () => {
    assert.ok(env);
    const before = new Map<string, string>();
    for (const name of [...webs, 'many', 'flaky'])
      for (const [k, v] of byName(await env.eventsFor(name))) before.set(k, v);
    const holder = await env.leaseHolder(ELECTION_ID);
    const leader = replicas.get(holder ?? '');
    const survivor = [...replicas.values()].find((r) => r !== leader);
    assert.ok(leader && survivor, `Lease holder ${String(holder)}`);
    await leader.kill();
    await eventually(
      () => env!.leaseHolder(ELECTION_ID),
      (h) => h === survivor.podName,
      15_000,
    );
    // The new leader has reported once it wrote the status of an Ingress created after the takeover.
    await env.apply(
      ingress({ name: 'after', rules: [{ host: 'after.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    await eventually(
      () => eventSummary(env!, 'after'),
      (s) => s.length > 0,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // two more status resyncs
    const afterTakeover = new Map<string, string>();
    for (const name of [...webs, 'many', 'flaky'])
      for (const [k, v] of byName(await env.eventsFor(name))) afterTakeover.set(k, v);
    assert.deepEqual(afterTakeover, before, logs());
    assert.match(survivor.logs(), /became the leader/);
  });

  it('counts a condition that comes back on its Event instead of adding one', async () => {
    assert.ok(env);
    const backend = await env.backend('flaky');
    const flaky = serviceWithEndpoints('flaky', [{ ip: backend.host, port: backend.port }]);
    const replica = [...replicas.values()].find(
      (r) => r.process.exitCode === null && r.process.signalCode === null,
    );
    assert.ok(replica);
    assert.deepEqual(await eventSummary(env, 'flaky'), ['Degraded 1', 'Served 1']);
    // The Service appears: the warning stops holding (Events say nothing of that; traffic does).
    await env.apply(...flaky);
    assert.equal(
      await eventually(
        () => answer('http', replica.httpPort, 'flaky.test'),
        (a) => a === '200 flaky',
        15_000,
      ),
      '200 flaky',
    );
    await new Promise((r) => setTimeout(r, 1500)); // a status resync: the leader saw it stop holding
    for (const object of flaky) await env.remove(object);
    const summary = await eventually(
      () => eventSummary(env!, 'flaky'),
      (s) => s.includes('Degraded 2'),
      15_000,
    );
    assert.deepEqual(summary, ['Degraded 2', 'Served 1'], logs());
  });

  it('needed no permission beyond its RBAC', () => {
    for (const r of replicas.values()) assert.deepEqual(forbiddenRequests(r.logs()), [], r.podName);
  });
});

describe('status and Events against a throttling API server', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  const COUNT = 60;
  const names = Array.from({ length: COUNT }, (_, i) => `app-${i}`);

  before(async () => {
    // One mutating request at a time, the rest answered 429 with Retry-After: 1 (API Priority and Fairness
    // off, so the plain in-flight limit decides).
    env = await startClusterEnv({
      apiServerArgs: ['--enable-priority-and-fairness=false', '--max-mutating-requests-inflight=1'],
    });
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ...names.map((name) =>
        ingress({ name, rules: [{ host: `${name}.test`, paths: [{ service: 'web', port: 80 }] }] }),
      ),
    );
  });
  after(async () => {
    await env?.stop();
  });

  it('writes every status and every Event, retrying throttled writes after Retry-After', async () => {
    assert.ok(env);
    const started = Date.now();
    gatehouse = await env.gatehouse({ podName: 'gatehouse-throttled', electionId: 'throttled' });
    const missing = async (): Promise<string[]> => {
      const list = await env!.networking.listNamespacedIngress({ namespace: 'default' });
      const served = new Set(
        (await env!.core.listNamespacedEvent({ namespace: 'default' })).items
          .filter((e) => e.reason === 'Served')
          .map((e) => e.involvedObject.name),
      );
      return list.items
        .filter(
          (i) => (i.status?.loadBalancer?.ingress ?? []).length === 0 || !served.has(i.metadata?.name ?? ''),
        )
        .map((i) => i.metadata?.name ?? '');
    };
    const left = await eventually(missing, (l) => l.length === 0, 60_000);
    assert.deepEqual(left, [], gatehouse.logs().slice(-4000));
    const log = gatehouse.logs();
    assert.match(log, /write failed, retrying.*"status":429/, 'the API server did throttle');
    assert.doesNotMatch(log, /could not (post Event|update Ingress status)/);
    // Gatehouse's own Events: the API server writes some of its own here too (under this throttling its
    // IP repair loop can warn about the Service, "ClusterIPNotAllocated"), which are not Gatehouse's to count.
    const events = (await env.core.listNamespacedEvent({ namespace: 'default' })).items.filter(
      (e) => e.source?.component === 'gatehouse',
    );
    const described = events.map(
      (e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.involvedObject.name ?? ''}: ${e.message ?? ''}`,
    );
    assert.equal(
      events.length,
      COUNT,
      `one Served Event per Ingress, nothing else:\n${described.join('\n')}`,
    );
    console.log(`# ${COUNT} statuses and Events written through throttling in ${Date.now() - started} ms`);
  });
});
