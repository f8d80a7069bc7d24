import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints, type PathSpec } from '../support/fixtures.ts';
import { messages, outcome, renderObjects, routes, serverBlock, translateObjects } from './harness.ts';

const HOST = 'app.example.com';
const backends = (...names: string[]): KubernetesObject[] =>
  names.flatMap((n, i) => serviceWithEndpoints(n, [{ ip: `10.0.0.${i + 1}`, port: 8080 }]));

function app(paths: PathSpec[], extra: { name?: string; createdAt?: string; namespace?: string } = {}) {
  return ingress({
    name: extra.name ?? 'app',
    ...(extra.namespace ? { namespace: extra.namespace } : {}),
    ...(extra.createdAt ? { creationTimestamp: extra.createdAt } : {}),
    rules: [{ host: HOST, paths }],
  });
}

const pathCases: { name: string; paths: PathSpec[]; routes: string[] }[] = [
  {
    name: 'Exact becomes one = location and nothing else',
    paths: [{ path: '/api', pathType: 'Exact', service: 'a', port: 80 }],
    routes: ['/ -> 404', '= /api -> http://default_a_80'],
  },
  {
    name: 'Prefix matches the path and everything below it, but not /apix',
    paths: [{ path: '/api', pathType: 'Prefix', service: 'a', port: 80 }],
    routes: ['/ -> 404', '= /api -> http://default_a_80', '/api/ -> http://default_a_80'],
  },
  {
    name: 'ImplementationSpecific is matched as Prefix',
    paths: [{ path: '/api', pathType: 'ImplementationSpecific', service: 'a', port: 80 }],
    routes: ['/ -> 404', '= /api -> http://default_a_80', '/api/ -> http://default_a_80'],
  },
  {
    name: 'Prefix / is the catch-all and replaces the 404',
    paths: [{ path: '/', pathType: 'Prefix', service: 'a', port: 80 }],
    routes: ['/ -> http://default_a_80'],
  },
  {
    name: 'a missing path means Prefix /',
    paths: [{ path: undefined as unknown as string, pathType: 'Prefix', service: 'a', port: 80 }],
    routes: ['/ -> http://default_a_80'],
  },
  {
    name: 'Exact / leaves the rest to the default backend',
    paths: [{ path: '/', pathType: 'Exact', service: 'a', port: 80 }],
    routes: ['/ -> 404', '= / -> http://default_a_80'],
  },
  {
    name: 'a trailing slash on a Prefix path is dropped: /api/ serves /api too',
    paths: [{ path: '/api/', pathType: 'Prefix', service: 'a', port: 80 }],
    routes: ['/ -> 404', '= /api -> http://default_a_80', '/api/ -> http://default_a_80'],
  },
  {
    // A regex location, because NGINX would answer /api with a 301 to /api/ for `location = /api/`.
    name: 'an Exact path keeps its trailing slash, as an anchored regex',
    paths: [{ path: '/api/', pathType: 'Exact', service: 'a', port: 80 }],
    routes: ['/ -> 404', '~ /api/ -> http://default_a_80'],
  },
  {
    name: 'Exact beats Prefix on the same path',
    paths: [
      { path: '/api', pathType: 'Prefix', service: 'a', port: 80 },
      { path: '/api', pathType: 'Exact', service: 'b', port: 80 },
    ],
    routes: ['/ -> 404', '= /api -> http://default_b_80', '/api/ -> http://default_a_80'],
  },
  {
    name: 'Prefix /api and Prefix /api/ are one path: the first one listed is served',
    paths: [
      { path: '/api', pathType: 'Prefix', service: 'a', port: 80 },
      { path: '/api/', pathType: 'Prefix', service: 'b', port: 80 },
    ],
    routes: ['/ -> 404', '= /api -> http://default_a_80', '/api/ -> http://default_a_80'],
  },
  {
    name: 'the longer prefix gets its own location, so NGINX picks it for /api/v2/x',
    paths: [
      { path: '/api', pathType: 'Prefix', service: 'a', port: 80 },
      { path: '/api/v2', pathType: 'Prefix', service: 'b', port: 80 },
    ],
    routes: [
      '/ -> 404',
      '= /api -> http://default_a_80',
      '/api/ -> http://default_a_80',
      '= /api/v2 -> http://default_b_80',
      '/api/v2/ -> http://default_b_80',
    ],
  },
];

describe('translate: path types become NGINX locations', () => {
  for (const c of pathCases) {
    it(c.name, () => {
      const result = translateObjects([ingressClass(), app(c.paths), ...backends('a', 'b')]);
      assert.deepEqual(messages(result), []);
      assert.deepEqual(routes(result.model, HOST), c.routes);
    });
  }

  it('renders = locations as exact and prefix locations without a modifier', () => {
    const { conf } = renderObjects([
      ingressClass(),
      app([{ path: '/api', pathType: 'Prefix', service: 'a', port: 80 }]),
      ...backends('a'),
    ]);
    const block = serverBlock(conf, HOST);
    assert.match(block, /location = "\/api" \{[^}]*set \$gatehouse_upstream default_a_80;/);
    assert.match(block, /location "\/api\/" \{[^}]*set \$gatehouse_upstream default_a_80;/);
    assert.match(block, /location "\/" \{\s*return 404;/);
  });

  it('refuses a path under /_gatehouse_, where the internal auth and mirror locations live', () => {
    for (const pathType of ['Exact', 'Prefix'] as const) {
      const result = translateObjects([
        ingressClass(),
        app([{ path: '/_gatehouse_auth/0123abcd', pathType, service: 'a', port: 80 }]),
        ...backends('a'),
      ]);
      assert.equal(outcome(result, 'app'), 'rejected');
      assert.deepEqual(messages(result), [
        "error: Ingress default/app: spec.rules[0].http.paths[0].path: paths under /_gatehouse_ are Gatehouse's own internal locations",
      ]);
    }
  });

  it('rejects an unknown pathType and names the field', () => {
    const result = translateObjects([
      ingressClass(),
      app([{ path: '/api', pathType: 'Regex' as 'Exact', service: 'a', port: 80 }]),
      ...backends('a'),
    ]);
    assert.equal(outcome(result, 'app'), 'rejected');
    assert.deepEqual(messages(result), [
      'error: Ingress default/app: spec.rules[0].http.paths[0].pathType: must be Exact, Prefix or ImplementationSpecific',
    ]);
  });
});

describe('translate: two Ingresses claiming the same host, path and path type', () => {
  const claim = (service: string): PathSpec[] => [{ path: '/api', pathType: 'Prefix', service, port: 80 }];
  const conflictCases: {
    name: string;
    objects: KubernetesObject[];
    winner: string;
    loser: string;
  }[] = [
    {
      name: 'the older creationTimestamp wins',
      objects: [
        app(claim('a'), { name: 'new', createdAt: '2024-02-01T00:00:00Z' }),
        app(claim('b'), { name: 'old', createdAt: '2024-01-01T00:00:00Z' }),
      ],
      winner: 'default/old',
      loser: 'default/new',
    },
    {
      name: 'on equal timestamps the namespace decides',
      objects: [
        app(claim('a'), { name: 'x', namespace: 'beta', createdAt: '2024-01-01T00:00:00Z' }),
        app(claim('b'), { name: 'y', namespace: 'alpha', createdAt: '2024-01-01T00:00:00Z' }),
      ],
      winner: 'alpha/y',
      loser: 'beta/x',
    },
    {
      name: 'on equal timestamps and namespaces the name decides',
      objects: [
        app(claim('a'), { name: 'zeta', createdAt: '2024-01-01T00:00:00Z' }),
        app(claim('b'), { name: 'alpha', createdAt: '2024-01-01T00:00:00Z' }),
      ],
      winner: 'default/alpha',
      loser: 'default/zeta',
    },
    {
      name: 'Prefix /api/ in a newer Ingress is the same claim as Prefix /api',
      objects: [
        app(claim('a'), { name: 'old', createdAt: '2024-01-01T00:00:00Z' }),
        app([{ path: '/api/', pathType: 'ImplementationSpecific', service: 'b', port: 80 }], {
          name: 'new',
          createdAt: '2024-01-02T00:00:00Z',
        }),
      ],
      winner: 'default/old',
      loser: 'default/new',
    },
  ];

  for (const c of conflictCases) {
    it(c.name, () => {
      const result = translateObjects([
        ingressClass(),
        ...c.objects,
        ...serviceWithEndpoints('a', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'alpha' }),
        ...serviceWithEndpoints('a', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'beta' }),
        ...serviceWithEndpoints('b', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'alpha' }),
        ...serviceWithEndpoints('b', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'beta' }),
        ...backends('a', 'b'),
      ]);
      const [loserNs, loserName] = c.loser.split('/') as [string, string];
      const server = result.model.servers.find((s) => s.host === HOST);
      const api = server?.locations.find((l) => l.path === '/api/');
      assert.equal(api?.source, `ingress ${c.winner}`);
      const conflict = result.diagnostics.filter((d) => d.reason.includes('already served'));
      assert.equal(conflict.length, 1);
      const [d] = conflict;
      assert.ok(d);
      assert.equal(d.severity, 'warning');
      assert.deepEqual(d.object, { kind: 'Ingress', namespace: loserNs, name: loserName });
      assert.equal(d.field, 'spec.rules[0].http.paths[0].path');
      // Another tenant's namespace and Ingress names are not the loser's to read.
      const [winnerNs] = c.winner.split('/') as [string, string];
      const by =
        winnerNs === loserNs ? `the older Ingress ${c.winner}` : 'an older Ingress in another namespace';
      assert.equal(
        d.reason,
        `Prefix path /api on host ${HOST} is already served by ${by}; this path is not served`,
      );
      // The loser still counts as served: only the contested path is dropped.
      assert.equal(outcome(result, loserName, loserNs), 'served');
    });
  }

  it('serves the uncontested paths of the losing Ingress', () => {
    const result = translateObjects([
      ingressClass(),
      app(claim('a'), { name: 'old', createdAt: '2024-01-01T00:00:00Z' }),
      app(
        [
          { path: '/api', pathType: 'Prefix', service: 'b', port: 80 },
          { path: '/web', pathType: 'Exact', service: 'b', port: 80 },
        ],
        { name: 'new', createdAt: '2024-03-01T00:00:00Z' },
      ),
      ...backends('a', 'b'),
    ]);
    assert.deepEqual(routes(result.model, HOST), [
      '/ -> 404',
      '= /api -> http://default_a_80',
      '/api/ -> http://default_a_80',
      '= /web -> http://default_b_80',
    ]);
  });

  it('does not treat Exact and Prefix on the same path as a conflict', () => {
    const result = translateObjects([
      ingressClass(),
      app(claim('a'), { name: 'old', createdAt: '2024-01-01T00:00:00Z' }),
      app([{ path: '/api', pathType: 'Exact', service: 'b', port: 80 }], {
        name: 'new',
        createdAt: '2024-03-01T00:00:00Z',
      }),
      ...backends('a', 'b'),
    ]);
    assert.deepEqual(messages(result), []);
    assert.deepEqual(routes(result.model, HOST), [
      '/ -> 404',
      '= /api -> http://default_b_80',
      '/api/ -> http://default_a_80',
    ]);
  });
});
