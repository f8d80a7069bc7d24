// TCP services in a real cluster: the --tcp-services-configmap ConfigMap is watched by name (beside the
// controller's own), its entries become stream servers, and they follow the ConfigMap and the pods.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer } from '../support/cluster-traffic.ts';
import type { HostedBackend } from '../support/netns.ts';
import { configMap, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';
import { freePort } from '../support/ports.ts';

describe('TCP services follow the API', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let blue: HostedBackend | undefined;
  let green: HostedBackend | undefined;
  let tcpPort = 0;

  const on = (backend: HostedBackend | undefined): ReturnType<typeof serviceWithEndpoints> => {
    assert.ok(backend);
    return serviceWithEndpoints('db', [{ ip: backend.host, port: backend.port }], { port: 5432 });
  };
  // The pods speak HTTP: an HTTP request sent to the TCP service's port reaches them through the stream.
  const overTcp = (): Promise<string> => answer('http', tcpPort, 'anything.test');
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';

  before(async () => {
    env = await startClusterEnv();
    blue = await env.backend('blue');
    green = await env.backend('green');
    tcpPort = await freePort();
    await env.apply(ingressClass(), ...on(blue));
    gatehouse = await env.gatehouse({
      podName: 'gatehouse-0',
      extraArgs: ['--tcp-services-configmap', 'default/tcp-services'],
    });
  });
  after(async () => {
    await env?.stop();
  });

  it('serves an entry of the ConfigMap once it is created, then follows the pods', async () => {
    assert.ok(env);
    await env.apply(configMap({ [String(tcpPort)]: 'default/db:5432' }, 'default', 'tcp-services'));
    const expect = async (wanted: string): Promise<void> =>
      assert.equal(await eventually(overTcp, (v) => v === wanted), wanted, logs());
    await expect('200 blue');
    await env.apply(...on(green));
    await expect('200 green');
  });

  it('needed no permission beyond its RBAC', () => {
    assert.ok(gatehouse);
    assert.deepEqual(forbiddenRequests(gatehouse.logs()), []);
  });
});
