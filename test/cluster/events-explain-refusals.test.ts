// Gatehouse in a real cluster: every Ingress it refuses or only partly serves gets a Warning Event naming
// the field and the reason (what `kubectl describe ingress` shows); a good one gets a Normal `Served`
// Event; and one bad Ingress never interrupts the others.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ClusterGatehouse } from '../support/cluster-gatehouse.ts';
import { startClusterEnv, type ClusterEnv } from '../support/cluster-env.ts';
import { forbiddenRequests } from '../support/cluster-rbac.ts';
import { answer, type TrafficLoop } from '../support/cluster-traffic.ts';
import type { HostedBackend } from '../support/netns.ts';
import { ingress, ingressClass, serviceWithEndpoints, type IngressSpec } from '../support/fixtures.ts';
import { eventually } from '../support/http-client.ts';

const A = 'nginx.ingress.kubernetes.io/';

interface Case {
  readonly behaviour: string;
  readonly spec: IngressSpec;
  readonly reason: 'Rejected' | 'Degraded' | 'Conflict';
  /** The Event message names the field, then says why. */
  readonly message: RegExp;
  /** What a client of the Ingress's host gets afterwards. */
  readonly serves: string;
}

const CASES: readonly Case[] = [
  {
    behaviour: 'a snippet annotation rejects the Ingress',
    spec: {
      name: 'snippet',
      annotations: { [`${A}configuration-snippet`]: 'more_set_headers "X-Evil: 1";' },
      rules: [{ host: 'snippet.test', paths: [{ service: 'web', port: 80 }] }],
    },
    reason: 'Rejected',
    message:
      /^metadata\.annotations\[nginx\.ingress\.kubernetes\.io\/configuration-snippet\]: snippet annotations are disabled/,
    serves: '404',
  },
  {
    behaviour: 'an invalid annotation value rejects the Ingress',
    spec: {
      name: 'body-size',
      annotations: { [`${A}proxy-body-size`]: 'lots' },
      rules: [{ host: 'body-size.test', paths: [{ service: 'web', port: 80 }] }],
    },
    reason: 'Rejected',
    message:
      /^metadata\.annotations\[nginx\.ingress\.kubernetes\.io\/proxy-body-size\]: must be a size such as/,
    serves: '404',
  },
  {
    behaviour: 'a path the API server accepts but NGINX could misread rejects the Ingress',
    spec: {
      name: 'odd-path',
      rules: [
        {
          host: 'odd-path.test',
          paths: [{ path: '/a;b', pathType: 'ImplementationSpecific', service: 'web', port: 80 }],
        },
      ],
    },
    reason: 'Rejected',
    message: /^spec\.rules\[0\]\.http\.paths\[0\]\.path: must start with "\/" and use only/,
    serves: '404',
  },
  {
    behaviour: 'a missing TLS Secret degrades the Ingress to the default certificate',
    spec: {
      name: 'no-secret',
      tls: [{ hosts: ['no-secret.test'], secretName: 'nowhere' }],
      annotations: { [`${A}ssl-redirect`]: 'false' },
      rules: [{ host: 'no-secret.test', paths: [{ service: 'web', port: 80 }] }],
    },
    reason: 'Degraded',
    message:
      /^spec\.tls\[0\]\.secretName: Secret default\/nowhere does not exist; its hosts use the default certificate/,
    serves: '200 web',
  },
  {
    behaviour: 'a path already served by an older Ingress is a conflict the newer one loses',
    spec: {
      name: 'second',
      rules: [{ host: 'conflict.test', paths: [{ service: 'newer', port: 80 }] }],
    },
    reason: 'Conflict',
    message:
      /^spec\.rules\[0\]\.http\.paths\[0\]\.path: Prefix path \/ on host conflict\.test is already served by the older Ingress default\/first/,
    serves: '200 older',
  },
];

function describeEvents(events: readonly CoreV1Event[]): string {
  return events.map((e) => `${e.type ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`).join('\n') || '(none)';
}

describe('Events explain what Gatehouse refused', () => {
  let env: ClusterEnv | undefined;
  let gatehouse: ClusterGatehouse | undefined;
  let traffic: TrafficLoop | undefined;
  const backends: Record<string, HostedBackend> = {};
  const logs = (): string => gatehouse?.logs().slice(-4000) ?? '';
  const http = (host: string): Promise<string> => {
    assert.ok(gatehouse);
    return answer('http', gatehouse.httpPort, host);
  };

  before(async () => {
    env = await startClusterEnv();
    for (const name of ['web', 'older', 'newer']) backends[name] = await env.backend(name);
    await env.apply(
      ingressClass(),
      ...Object.values(backends).flatMap((b) => serviceWithEndpoints(b.name, [{ ip: b.host, port: b.port }])),
      ingress({ name: 'good', rules: [{ host: 'good.test', paths: [{ service: 'web', port: 80 }] }] }),
      ingress({ name: 'first', rules: [{ host: 'conflict.test', paths: [{ service: 'older', port: 80 }] }] }),
    );
    gatehouse = await env.gatehouse({ podName: 'gatehouse-0' });
    const good = await eventually(
      () => http('good.test'),
      (v) => v === '200 web',
    );
    assert.equal(good, '200 web', logs());
    traffic = env.traffic(gatehouse.httpPort, 'good.test', '200 web');
  });
  after(async () => {
    await env?.stop();
  });

  it('says a good Ingress is served with a Normal Event', async () => {
    assert.ok(env);
    const events = await eventually(
      () => env!.eventsFor('good'),
      (list) => list.length > 0,
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.message]),
      [['Normal', 'Served', 'Ingress is served by Gatehouse']],
      logs(),
    );
    assert.equal(events.at(0)?.reportingComponent, 'gatehouse.dev/ingress-controller');
    assert.equal(
      events.at(0)?.involvedObject.uid,
      (await env.networking.readNamespacedIngress({ name: 'good', namespace: 'default' })).metadata?.uid,
    );
  });

  for (const c of CASES) {
    it(`${c.behaviour}, and says so in a Warning Event`, async () => {
      assert.ok(env);
      if (c.reason === 'Conflict') {
        // creationTimestamp has whole seconds: make sure this one is really the newer.
        const first = await env.networking.readNamespacedIngress({ name: 'first', namespace: 'default' });
        const created = new Date(first.metadata?.creationTimestamp ?? 0).getTime();
        await eventually(
          () => Promise.resolve(Date.now()),
          (now) => now >= created + 1000,
          3000,
        );
      }
      await env.apply(ingress(c.spec));
      const events = await eventually(
        () => env!.eventsFor(c.spec.name),
        (list) => list.some((e) => e.type === 'Warning'),
      );
      const warnings = events.filter((e) => e.type === 'Warning');
      assert.equal(warnings.length, 1, describeEvents(events) + '\n' + logs());
      assert.equal(warnings.at(0)?.reason, c.reason, describeEvents(events));
      assert.match(warnings.at(0)?.message ?? '', c.message);
      const host = c.spec.rules?.at(0)?.host ?? '';
      assert.equal(
        await eventually(
          () => http(host),
          (v) => v === c.serves,
        ),
        c.serves,
      );
    });
  }

  it('kept serving the good Ingress all along', async () => {
    assert.ok(traffic);
    const report = await traffic.stop();
    assert.ok(report.total > 10, `only ${report.total} requests were made`);
    assert.deepEqual(report.failures, [], logs());
  });

  it('needed no permission beyond its RBAC', () => {
    assert.ok(gatehouse);
    assert.deepEqual(forbiddenRequests(gatehouse.logs()), []);
  });
});
