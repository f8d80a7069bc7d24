// The controller's RBAC (test/support/cluster-rbac.ts) is both enough and needed. Enough: every cluster
// test runs the controller with exactly those rules and checks it was refused nothing. Needed: without the
// Lease Role it serves traffic but never leads, so no status and no Events; binding the Role fixes that
// while it runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { CONTROLLER, startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests, grantLeaderElection } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const ELECTION_ID = 'gatehouse-leader';
const LEASE_SECONDS = 3;
/** serve-command retries every lease duration / 5: this many attempts span more than a lease duration. */
const ATTEMPTS = 7;

describe('least privilege', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';

  before(async () => {
    env = await startClusterEnv({ leaderElection: false });
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
    gatehouse = await env.gatehouse({
      podName: 'gatehouse-0',
      electionId: ELECTION_ID,
      electionTtl: LEASE_SECONDS,
    });
  });
  after(async () => {
    await env?.stop();
  });

  it('serves traffic with the cluster-wide rules alone', async () => {
    assert.ok(gatehouse);
    assert.equal(await answer('http', gatehouse.httpPort, 'web.test'), '200 web');
  });

  it('without the Lease Role never leads: no Lease, no status, no Events, and a warning says why', async () => {
    assert.ok(env && gatehouse);
    // Watch it try for longer than a lease duration.
    const attempts = await eventually(
      () => Promise.resolve(gatehouse!.logs().split('the API server refused the Lease request').length - 1),
      (n) => n >= ATTEMPTS,
      LEASE_SECONDS * 1000 * 3,
    );
    assert.ok(attempts >= ATTEMPTS, logs());
    assert.equal(await env.leaseHolder(ELECTION_ID), undefined);
    assert.deepEqual(await env.ingressAddresses('web'), []);
    assert.deepEqual(await env.eventsFor('web'), []);
    assert.doesNotMatch(gatehouse.logs(), /became the leader/);
    // What an operator sees at the default log level: one warning naming the refused Lease.
    const warnings = gatehouse
      .logs()
      .split('\n')
      .filter((l) => / warn leader election: /.test(l));
    assert.equal(warnings.length, 1, logs());
    assert.match(
      warnings[0] ?? '',
      /the API server refused the Lease request.*leases\.coordination\.k8s\.io \\"gatehouse-leader\\" is forbidden/,
    );
  });

  it('leads and writes status and Events once the Lease Role is bound, without a restart', async () => {
    assert.ok(env && gatehouse);
    await grantLeaderElection(env.admin, CONTROLLER);
    assert.equal(
      await eventually(
        () => env!.leaseHolder(ELECTION_ID),
        (h) => h === 'gatehouse-0',
      ),
      'gatehouse-0',
      logs(),
    );
    assert.deepEqual(
      await eventually(
        () => env!.ingressAddresses('web'),
        (v) => v.length > 0,
      ),
      ['127.0.0.1'],
    );
    const events = await eventually(
      () => env!.eventsFor('web'),
      (list) => list.length > 0,
    );
    assert.deepEqual(
      events.map((e) => e.reason),
      ['Served'],
    );
  });

  it('was refused nothing but the Lease', () => {
    assert.ok(gatehouse);
    const refused = forbiddenRequests(gatehouse.logs());
    assert.ok(refused.length > 0);
    assert.deepEqual(
      refused.filter((l) => !l.includes('leases.coordination.k8s.io')),
      [],
    );
    const log = gatehouse.logs();
    const leading = log.indexOf('became the leader');
    assert.ok(leading >= 0, 'it became the leader');
    const sinceLeading = log.slice(leading);
    assert.deepEqual(forbiddenRequests(sinceLeading), [], 'refused after the Role was bound');
  });
});
