// Where the address in `kubectl get ingress` comes from when no --publish-status-address is given: the
// --publish-service Service (a LoadBalancer's address and external IPs, none while it is pending; a ClusterIP
// Service's cluster IP), else the nodes running the controller's Running pods (ExternalIP, or InternalIP with
// --report-node-internal-ip-address). One replica at a time: each stops gracefully, handing the Lease
// straight to the next.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { CONTROLLER, startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const LABELS = { 'app.kubernetes.io/name': 'gatehouse' };

describe('status addresses', () => {
  let env: ClusterEnv | undefined;
  let current: ClusterGatehouse | undefined;
  const all: ClusterGatehouse[] = [];
  const logs = (): string => current?.logs().slice(-4000) ?? '';
  const nextReplica = async (podName: string, statusArgs: string[]): Promise<ClusterGatehouse> => {
    assert.ok(env);
    await current?.stop();
    current = await env.gatehouse({ podName, statusArgs });
    all.push(current);
    return current;
  };
  const statusBecomes = async (expected: string[]): Promise<void> => {
    const got = await eventually(
      () => env!.ingressAddresses('web'),
      (v) => JSON.stringify(v) === JSON.stringify(expected),
    );
    assert.deepEqual(got, expected, logs());
  };

  /** A node with the given addresses, and a controller pod on it in the given phase. */
  const podOnNode = async (pod: string, node: string, phase: string, external: string, internal: string) => {
    assert.ok(env);
    await env.core.createNode({ body: { metadata: { name: node } } });
    await env.core.patchNodeStatus(
      {
        name: node,
        body: {
          status: {
            addresses: [
              { type: 'ExternalIP', address: external },
              { type: 'InternalIP', address: internal },
              { type: 'Hostname', address: node },
            ],
          },
        },
      },
      MERGE,
    );
    await env.core.createNamespacedPod({
      namespace: CONTROLLER.namespace,
      body: {
        metadata: { name: pod, labels: LABELS },
        spec: {
          nodeName: node,
          serviceAccountName: CONTROLLER.name,
          automountServiceAccountToken: false,
          containers: [{ name: 'controller', image: 'gatehouse:test' }],
        },
      },
    });
    await env.core.patchNamespacedPodStatus(
      { name: pod, namespace: CONTROLLER.namespace, body: { status: { phase } } },
      MERGE,
    );
  };

  before(async () => {
    env = await startClusterEnv();
    const web = await env.backend('web');
    await env.apply(
      ingressClass(),
      ...serviceWithEndpoints('web', [{ ip: web.host, port: web.port }]),
      ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ service: 'web', port: 80 }] }] }),
    );
  });
  after(async () => {
    await env?.stop();
  });

  it('--publish-service of a LoadBalancer: no address while it is pending, then its address and external IPs', async () => {
    assert.ok(env);
    await env.core.createNamespacedService({
      namespace: CONTROLLER.namespace,
      body: {
        metadata: { name: 'gatehouse-controller' },
        spec: { type: 'LoadBalancer', selector: LABELS, ports: [{ name: 'http', port: 80 }] },
      },
    });
    const replica = await nextReplica('gatehouse-publish', [
      '--publish-service',
      `${CONTROLLER.namespace}/gatehouse-controller`,
    ]);
    // The leader has reported (its Served Event is there) and looked again since: still no address, not
    // the cluster IP that tools such as external-dns would publish.
    await eventually(
      () => env!.eventsFor('web'),
      (events) => events.some((e) => e.reason === 'Served'),
    );
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(await env.ingressAddresses('web'), [], logs());
    assert.match(replica.logs(), /became the leader/);

    // What a cloud load balancer controller would do; Gatehouse re-checks on its status resync.
    await env.core.patchNamespacedServiceStatus(
      {
        name: 'gatehouse-controller',
        namespace: CONTROLLER.namespace,
        body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } },
      },
      MERGE,
    );
    await statusBecomes(['198.51.100.7']);
    await env.core.patchNamespacedService(
      {
        name: 'gatehouse-controller',
        namespace: CONTROLLER.namespace,
        body: { spec: { externalIPs: ['198.51.100.8'] } },
      },
      MERGE,
    );
    await statusBecomes(['198.51.100.7', '198.51.100.8']);
  });

  it('--publish-service of a ClusterIP Service: its cluster IP', async () => {
    assert.ok(env);
    const svc = await env.core.createNamespacedService({
      namespace: CONTROLLER.namespace,
      body: {
        metadata: { name: 'gatehouse-internal' },
        spec: { type: 'ClusterIP', selector: LABELS, ports: [{ name: 'http', port: 80 }] },
      },
    });
    const clusterIp = svc.spec?.clusterIP ?? '';
    assert.match(clusterIp, /^10\./);
    await nextReplica('gatehouse-internal', [
      '--publish-service',
      `${CONTROLLER.namespace}/gatehouse-internal`,
    ]);
    await statusBecomes([clusterIp]);
  });

  it("without publish flags: the ExternalIPs of the nodes running the controller's Running pods", async () => {
    await podOnNode('gatehouse-node-a', 'node-a', 'Running', '203.0.113.10', '10.0.0.10');
    await podOnNode('gatehouse-node-b', 'node-b', 'Running', '203.0.113.11', '10.0.0.11');
    await podOnNode('gatehouse-node-c', 'node-c', 'Pending', '203.0.113.12', '10.0.0.12');
    await nextReplica('gatehouse-node-a', []);
    await statusBecomes(['203.0.113.10', '203.0.113.11']);
  });

  it('--report-node-internal-ip-address: their InternalIPs instead', async () => {
    await nextReplica('gatehouse-node-b', ['--report-node-internal-ip-address']);
    await statusBecomes(['10.0.0.10', '10.0.0.11']);
  });

  it('needed no permission beyond its RBAC', () => {
    for (const r of all) assert.deepEqual(forbiddenRequests(r.logs()), [], r.podName);
  });
});
