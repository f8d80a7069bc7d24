import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints, type PathSpec } from '../support/fixtures.ts';
import { messages, outcome, routes, translateObjects } from './harness.ts';

const HOST = 'app.example.com';
const A = 'nginx.ingress.kubernetes.io/';
const backends: KubernetesObject[] = ['a', 'b'].flatMap((n, i) =>
  serviceWithEndpoints(n, [{ ip: `10.0.0.${i + 1}`, port: 8080 }]),
);

function app(
  name: string,
  paths: PathSpec[],
  annotations: Record<string, string> = {},
  extra: { createdAt?: string; host?: string } = {},
) {
  return ingress({
    name,
    annotations,
    ...(extra.createdAt ? { creationTimestamp: extra.createdAt } : {}),
    rules: [{ host: extra.host ?? HOST, paths }],
  });
}

describe('regex paths (use-regex, rewrite-target)', () => {
  it('makes every Prefix path of the host a regex, ordered longest first; Exact and / keep their kind', () => {
    const result = translateObjects([
      ingressClass(),
      app(
        'regex',
        [{ path: '/api/v[0-9]+/(.*)', pathType: 'ImplementationSpecific', service: 'a', port: 80 }],
        {
          [`${A}use-regex`]: 'true',
        },
      ),
      app('plain', [
        { path: '/api', pathType: 'Prefix', service: 'b', port: 80 },
        { path: '/health', pathType: 'Exact', service: 'b', port: 80 },
        { path: '/', pathType: 'Prefix', service: 'b', port: 80 },
      ]),
      app(
        'elsewhere',
        [{ path: '/api', pathType: 'Prefix', service: 'b', port: 80 }],
        {},
        { host: 'other.example.com' },
      ),
      ...backends,
    ]);
    assert.deepEqual(messages(result), []);
    assert.deepEqual(routes(result.model, HOST), [
      '/ -> http://default_b_80',
      '= /health -> http://default_b_80',
      '~* /api/v[0-9]+/(.*) -> http://default_a_80',
      '~* /api(/|$) -> http://default_b_80',
    ]);
    // A host without regex paths is untouched.
    assert.deepEqual(routes(result.model, 'other.example.com'), [
      '/ -> 404',
      '= /api -> http://default_b_80',
      '/api/ -> http://default_b_80',
    ]);
  });

  it('orders regexes of equal length in reverse character order, whatever the input order', () => {
    const paths: PathSpec[] = ['/a/(.*)', '/c/(.*)', '/b/(.*)', '/long/(.*)'].map((path) => ({
      path,
      pathType: 'ImplementationSpecific',
      service: 'a',
      port: 80,
    }));
    for (const order of [paths, [...paths].reverse()]) {
      const result = translateObjects([
        ingressClass(),
        app('regex', order, { [`${A}use-regex`]: 'true' }),
        ...backends,
      ]);
      assert.deepEqual(
        routes(result.model, HOST).filter((r) => r.startsWith('~*')),
        ['~* /long/(.*)', '~* /c/(.*)', '~* /b/(.*)', '~* /a/(.*)'].map((r) => `${r} -> http://default_a_80`),
      );
    }
  });

  it('rejects an Ingress whose regex path fails the check, naming the path', () => {
    const result = translateObjects([
      ingressClass(),
      app('regex', [{ path: '/(a+)+$', pathType: 'Prefix', service: 'a', port: 80 }], {
        [`${A}use-regex`]: 'true',
      }),
      ...backends,
    ]);
    assert.equal(outcome(result, 'regex'), 'rejected');
    assert.deepEqual(messages(result), [
      'error: Ingress default/regex: spec.rules[0].http.paths[0].path: regex path must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)',
    ]);
  });

  it('keeps paths literal without use-regex or rewrite-target, so regex syntax is refused there', () => {
    const result = translateObjects([
      ingressClass(),
      app('plain', [{ path: '/v[0-9]', pathType: 'ImplementationSpecific', service: 'a', port: 80 }]),
      ...backends,
    ]);
    assert.equal(outcome(result, 'plain'), 'rejected');
    assert.match(
      messages(result)[0] ?? '',
      /spec\.rules\[0\]\.http\.paths\[0\]\.path: must start with "\/" and use only/,
    );
  });

  it('gives the same regex path on one host to the older Ingress', () => {
    const path: PathSpec = { path: '/api/(.*)', pathType: 'ImplementationSpecific', service: 'a', port: 80 };
    const result = translateObjects([
      ingressClass(),
      app(
        'newer',
        [{ ...path, service: 'b' }],
        { [`${A}use-regex`]: 'true' },
        { createdAt: '2024-02-01T00:00:00Z' },
      ),
      app('older', [path], { [`${A}use-regex`]: 'true' }, { createdAt: '2024-01-01T00:00:00Z' }),
      ...backends,
    ]);
    assert.deepEqual(routes(result.model, HOST), ['/ -> 404', '~* /api/(.*) -> http://default_a_80']);
    assert.deepEqual(messages(result), [
      'warning: Ingress default/newer: spec.rules[0].http.paths[0].path: Regex path /api/(.*) on host app.example.com is already served by the older Ingress default/older; this path is not served',
    ]);
  });

  it('treats the regex / as the catch-all, so the host has one location /', () => {
    const result = translateObjects([
      ingressClass(),
      app('regex', [{ path: '/', pathType: 'ImplementationSpecific', service: 'a', port: 80 }], {
        [`${A}rewrite-target`]: '/index.html',
      }),
      ...backends,
    ]);
    assert.deepEqual(routes(result.model, HOST), ['/ -> http://default_a_80']);
    const root = result.model.servers[0]?.locations[0];
    assert.deepEqual(root?.settings.rewrite, { regex: '/', target: '/index.html' });
  });
});
