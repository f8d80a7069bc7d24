// The bundle (scripts/bundle.ts, ADR 0016) in cluster mode: its cluster chunk (client-node) is loaded on
// demand, reads the API server, leads, writes status and Events, and serves what the cluster says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bundledApp, type BundledApp } from '../support/bundled-app.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { answer } from '../support/cluster-traffic.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

describe('the bundle in a cluster', () => {
  let app: BundledApp | undefined;
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';

  before(async () => {
    app = await bundledApp();
    env = await startClusterEnv();
    const backend = await env.backend('blue');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('shop', [{ ip: backend.host, port: backend.port }]),
      ingress({ name: 'shop', rules: [{ host: 'shop.test', paths: [{ service: 'shop', port: 80 }] }] }),
    );
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0', entry: app.entry });
  });
  after(async () => {
    await env?.stop();
    await app?.remove();
  });

  it('serves the Ingress, writes its status and a Served Event', async () => {
    assert.equal(
      await eventually(
        () => answer('http', gatehouse!.httpPort, 'shop.test'),
        (v) => v === '200 blue',
      ),
      '200 blue',
      logs(),
    );
    const addresses = await eventually(
      () => env!.ingressAddresses('shop'),
      (v) => v.length > 0,
    );
    assert.deepEqual(addresses, ['127.0.0.1'], logs());
    const events = await eventually(
      () => env!.eventsFor('shop'),
      (list) => list.length > 0,
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [['Normal', 'Served']],
      logs(),
    );
  });
});
