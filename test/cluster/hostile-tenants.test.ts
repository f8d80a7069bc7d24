// Hostile tenants in a real cluster, with rights in their own namespaces only, and objects the API server
// accepts: a certificate NGINX's OpenSSL refuses, an ExternalName that points at the node's metadata
// service, an Ingress of 2,000 paths, a TLS section for another team's host. Each is named in a Warning
// Event on its own Ingress; the other tenant keeps serving throughout, and its changes (a new path, an
// endpoint move) still go live.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer, type TrafficLoop } from '../support/cluster-traffic.ts';
import {
  externalNameService,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';
import type { HostedBackend } from '../support/netns.ts';
import { weakCertificates } from '../support/weak-certificates.ts';

const namespace = (name: string): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});

describe('hostile tenants in a cluster', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let traffic: TrafficLoop | undefined;
  const backends: Record<string, HostedBackend> = {};
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';
  const good = (backend: string, paths: string[]): KubernetesObject[] => [
    ...serviceWithEndpoints('web', [{ ip: backends[backend]!.host, port: backends[backend]!.port }], {
      namespace: 'team-good',
    }),
    ingress({
      name: 'shop',
      namespace: 'team-good',
      rules: [{ host: 'shop.test', paths: paths.map((path) => ({ path, service: 'web', port: 80 })) }],
    }),
  ];

  before(async () => {
    env = await startClusterEnv();
    for (const name of ['good-1', 'good-2', 'tenant']) backends[name] = await env.backend(name);
    await env.apply(
      ingressClass(),
      ...['team-good', 'team-evil'].map(namespace),
      ...good('good-1', ['/']),
      ...serviceWithEndpoints('app', [{ ip: backends['tenant']!.host, port: backends['tenant']!.port }], {
        namespace: 'team-evil',
      }),
    );
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0' });
    const first = await eventually(
      () => answer('http', gatehouse!.httpPort, 'shop.test'),
      (v) => v === '200 good-1',
    );
    assert.equal(first, '200 good-1', logs());
    traffic = env.traffic(gatehouse.httpPort, 'shop.test', '200 good-1');
  });
  after(async () => {
    await env?.stop();
  });

  it('each hostile object is named in a Warning Event on its own Ingress', async () => {
    const weak = await weakCertificates('weak.test');
    await env!.apply(
      tlsSecret('weak', weak.rsa1024, 'team-evil'),
      tlsSecret('sound', weak.sound, 'team-evil'),
      ingress({
        name: 'weak-cert',
        namespace: 'team-evil',
        tls: [{ hosts: ['weak.test'], secretName: 'weak' }],
        rules: [{ host: 'weak.test', paths: [{ service: 'app', port: 80 }] }],
      }),
      externalNameService('metadata', '169.254.169.254', 'team-evil'),
      ingress({
        name: 'ssrf',
        namespace: 'team-evil',
        rules: [{ host: 'ssrf.test', paths: [{ service: 'metadata', port: 80 }] }],
      }),
      ingress({
        name: 'huge',
        namespace: 'team-evil',
        rules: [
          {
            host: 'huge.test',
            paths: Array.from({ length: 2000 }, (_, i) => ({ path: `/p${i}`, service: 'app', port: 80 })),
          },
        ],
      }),
      ingress({
        name: 'takeover',
        namespace: 'team-evil',
        tls: [{ hosts: ['shop.test'], secretName: 'sound' }],
        rules: [{ host: 'shop.test', paths: [{ path: '/evil', service: 'app', port: 80 }] }],
      }),
    );
    const expected: [string, string, RegExp][] = [
      ['weak-cert', 'Degraded', /Secret team-evil\/weak: certificate has a 1024-bit RSA key/],
      [
        'ssrf',
        'Degraded',
        /ExternalName Service team-evil\/metadata: 169\.254\.169\.254 is a link-local address/,
      ],
      ['huge', 'Rejected', /lists 2000 paths; an Ingress may list at most 1000/],
      ['takeover', 'Degraded', /host shop\.test belongs to an older Ingress in another namespace/],
    ];
    for (const [name, reason, message] of expected) {
      const events = await eventually(
        () => env!.eventsFor(name, 'team-evil'),
        (list) => list.some((e) => e.type === 'Warning' && message.test(e.message ?? '')),
        20_000,
      );
      const warning = events.find((e) => e.type === 'Warning' && message.test(e.message ?? ''));
      assert.equal(
        warning?.reason,
        reason,
        `${name}: ${events.map((e) => e.message).join(' | ')}\n${logs()}`,
      );
    }
    assert.equal(await answer('http', gatehouse!.httpPort, 'ssrf.test'), '503');
    assert.equal(await answer('http', gatehouse!.httpPort, 'huge.test'), '404');
  });

  it('the other tenant’s new path and endpoint move go live, and it never lost a request', async () => {
    await traffic!.stop().then((report) => assert.deepEqual(report.failures, [], logs()));
    await env!.apply(...good('good-2', ['/', '/new']));
    assert.equal(
      await eventually(
        () => answer('http', gatehouse!.httpPort, 'shop.test', '/new'),
        (v) => v === '200 good-2',
        20_000,
      ),
      '200 good-2',
      logs(),
    );
    assert.equal(await answer('http', gatehouse!.httpPort, 'shop.test'), '200 good-2');
  });

  it('needed no permission beyond its RBAC', () => {
    assert.deepEqual(forbiddenRequests(gatehouse!.logs()), []);
  });
});
