// Gatehouse in a real cluster, two replicas: both serve traffic, exactly one (the Lease holder) writes
// status, and when the leader's pod dies the other takes the Lease over within a lease duration and a retry
// period, without a single failed request.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const ELECTION_ID = 'gatehouse-ha';
const LEASE_SECONDS = 3;
/** serve-command: a candidate retries every lease duration / 5 (at least 200 ms). */
const RETRY_MS = Math.max(200, (LEASE_SECONDS * 1000) / 5);
/** Room for the API round trips of the takeover itself on a busy 2-core machine. */
const SLACK_MS = 1500;

describe('leader election', () => {
  let env: ClusterEnv | undefined;
  const replicas = new Map<string, ClusterGatehouse>();
  let leader: ClusterGatehouse | undefined;
  let survivor: ClusterGatehouse | undefined;
  const logs = (): string =>
    [...replicas.values()].map((r) => `--- ${r.podName}\n${r.logs().slice(-3000)}`).join('\n');

  before(async () => {
    env = await startClusterEnv();
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    const started = await Promise.all(
      ['gatehouse-a', 'gatehouse-b'].map((podName) =>
        env!.gatehouse({ podName, electionId: ELECTION_ID, electionTtl: LEASE_SECONDS }),
      ),
    );
    for (const r of started) replicas.set(r.podName, r);
  });
  after(async () => {
    await env?.stop();
  });

  it('gives the Lease to exactly one replica, which writes the status', async () => {
    assert.ok(env);
    const holder = await eventually(
      () => env!.leaseHolder(ELECTION_ID),
      (h) => h !== undefined && replicas.has(h),
    );
    assert.ok(holder !== undefined && replicas.has(holder), `Lease holder: ${String(holder)}\n${logs()}`);
    leader = replicas.get(holder);
    survivor = [...replicas.values()].find((r) => r !== leader);
    assert.ok(leader && survivor);
    assert.deepEqual(
      await eventually(
        () => env!.ingressAddresses('web'),
        (v) => v.length > 0,
      ),
      ['127.0.0.1'],
    );
    // The status came from the leader alone.
    // The log line comes after the API server's answer: wait for it.
    const leaderLog = await eventually(
      () => Promise.resolve(leader!.logs()),
      (log) => log.includes('updated Ingress status'),
    );
    assert.match(leaderLog, /updated Ingress status/);
    assert.doesNotMatch(survivor.logs(), /updated Ingress status|became the leader/);
  });

  it('serves traffic on every replica, leader or not', async () => {
    for (const r of replicas.values()) {
      assert.equal(await answer('http', r.httpPort, 'web.test'), '200 web', r.podName);
    }
  });

  it('hands the Lease over when the leader dies, and the new leader writes status', async () => {
    assert.ok(env && leader && survivor);
    const traffic = env.traffic(survivor.httpPort, 'web.test', '200 web');
    await eventually(
      () => Promise.resolve(traffic.count),
      (n) => n >= 5,
    );
    const killedAt = Date.now();
    await leader.kill();

    const holder = await eventually(
      () => env!.leaseHolder(ELECTION_ID),
      (h) => h === survivor?.podName,
      LEASE_SECONDS * 1000 + RETRY_MS + SLACK_MS + 5000,
    );
    const takeoverMs = Date.now() - killedAt;
    assert.equal(holder, survivor.podName, logs());
    assert.ok(
      takeoverMs <= LEASE_SECONDS * 1000 + RETRY_MS + SLACK_MS,
      `took ${takeoverMs} ms to take over a ${LEASE_SECONDS} s Lease`,
    );

    await env.apply(
      ingress({ name: 'after', rules: [{ host: 'after.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    assert.deepEqual(
      await eventually(
        () => env!.ingressAddresses('after'),
        (v) => v.length > 0,
      ),
      ['127.0.0.1'],
      logs(),
    );
    const pattern = /updated Ingress status \{"ingress":"default\/after"/;
    const survivorLog = await eventually(
      () => Promise.resolve(survivor!.logs()),
      (log) => pattern.test(log),
    );
    assert.match(survivorLog, pattern);
    assert.equal(await answer('http', survivor.httpPort, 'after.test'), '200 web');

    const report = await traffic.stop();
    assert.ok(report.total > 20, `only ${report.total} requests during the failover`);
    assert.deepEqual(report.failures, [], `the survivor failed requests during the failover\n${logs()}`);
  });

  it('needed no permission beyond its RBAC', () => {
    for (const r of replicas.values()) assert.deepEqual(forbiddenRequests(r.logs()), [], r.podName);
  });
});
