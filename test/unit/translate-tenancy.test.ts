// What one namespace can and cannot do to another's host, and what one Ingress may cost.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { DEFAULT_CERTIFICATE_FILE } from '../../src/model/nginx.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type TestCertificate,
} from '../support/fixtures.ts';
import { messages, outcome, renderObjects, routes, serverFor, translateObjects } from './harness.ts';

const SHOP = 'shop.example.com';

function configMap(data: Record<string, string>): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'gatehouse', namespace: 'ops' },
    data,
  } as KubernetesObject;
}

/** Translate options that read the ConfigMap above. */
const WITH_CONFIG = { configMap: { namespace: 'ops', name: 'gatehouse' } } as const;

function services(): KubernetesObject[] {
  return ['team-a', 'team-b'].flatMap((namespace) =>
    serviceWithEndpoints('web', [{ ip: namespace === 'team-a' ? '10.0.0.1' : '10.0.0.2', port: 8080 }], {
      namespace,
    }),
  );
}

describe('translate: one namespace and another namespace’s host', () => {
  let shopCert: TestCertificate;
  before(async () => {
    shopCert = await certificateFor(SHOP);
  });

  /** team-a owns the shop (oldest, no TLS); team-b arrives later with a path and a TLS section for it. */
  const takeover = (): KubernetesObject[] => [
    ingressClass(),
    ...services(),
    ingress({
      name: 'shop',
      namespace: 'team-a',
      creationTimestamp: '2026-01-01T00:00:00Z',
      rules: [{ host: SHOP, paths: [{ path: '/', service: 'web', port: 80 }] }],
    }),
    tlsSecret('stolen', shopCert, 'team-b'),
    ingress({
      name: 'intruder',
      namespace: 'team-b',
      creationTimestamp: '2026-02-01T00:00:00Z',
      tls: [{ hosts: [SHOP], secretName: 'stolen' }],
      rules: [{ host: SHOP, paths: [{ path: '/.well-known/acme-challenge', service: 'web', port: 80 }] }],
    }),
  ];

  it('a newer Ingress in another namespace cannot give the host its certificate, nor its redirect', () => {
    const result = translateObjects(takeover());
    const shop = serverFor(result.model, SHOP);
    assert.equal(shop.certificate, DEFAULT_CERTIFICATE_FILE);
    assert.equal(shop.hasTls, false);
    assert.ok(
      shop.locations.every((l) => !l.settings.sslRedirect),
      'no HTTP→HTTPS redirect on team-a paths',
    );
    assert.ok(
      messages(result).includes(
        `warning: Ingress team-b/intruder: spec.tls[0].hosts: host ${SHOP} belongs to an older Ingress in another namespace; this TLS entry does not apply to it`,
      ),
      messages(result).join('\n'),
    );
  });

  it('by default it may still add a path the host does not serve yet, as in ingress-nginx', () => {
    const result = translateObjects(takeover());
    assert.ok(routes(result.model, SHOP).includes('= /.well-known/acme-challenge -> http://team-b_web_80'));
  });

  it('with host-namespace-isolation it may not add anything to the host', () => {
    const result = translateObjects(
      [...takeover(), configMap({ 'host-namespace-isolation': 'true' })],
      WITH_CONFIG,
    );
    assert.deepEqual(routes(result.model, SHOP), ['/ -> http://team-a_web_80']);
    assert.ok(
      messages(result).includes(
        `warning: Ingress team-b/intruder: spec.rules[0].host: host ${SHOP} belongs to an older Ingress in another namespace (host-namespace-isolation is on); this rule is not served`,
      ),
      messages(result).join('\n'),
    );
    assert.deepEqual(serverFor(result.model, SHOP).sources, ['ingress team-a/shop']);
  });

  it('within one namespace, Ingresses still share a host and its TLS as before', () => {
    const result = translateObjects(
      [
        ingressClass(),
        ...services(),
        ingress({
          name: 'shop',
          namespace: 'team-a',
          creationTimestamp: '2026-01-01T00:00:00Z',
          rules: [{ host: SHOP, paths: [{ path: '/', service: 'web', port: 80 }] }],
        }),
        tlsSecret('shop-tls', shopCert, 'team-a'),
        ingress({
          name: 'shop-api',
          namespace: 'team-a',
          creationTimestamp: '2026-02-01T00:00:00Z',
          tls: [{ hosts: [SHOP], secretName: 'shop-tls' }],
          rules: [{ host: SHOP, paths: [{ path: '/api', service: 'web', port: 80 }] }],
        }),
        configMap({ 'host-namespace-isolation': 'true' }),
      ],
      WITH_CONFIG,
    );
    assert.equal(serverFor(result.model, SHOP).hasTls, true);
    assert.ok(routes(result.model, SHOP).includes('/api/ -> http://team-a_web_80'));
    assert.deepEqual(messages(result), []);
  });

  it('a conflict never names the other namespace or its Ingress', () => {
    const result = translateObjects([
      ingressClass(),
      ...services(),
      ingress({
        name: 'secret-project',
        namespace: 'team-a',
        creationTimestamp: '2026-01-01T00:00:00Z',
        rules: [{ host: SHOP, paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
      ingress({
        name: 'b',
        namespace: 'team-b',
        creationTimestamp: '2026-02-01T00:00:00Z',
        rules: [{ host: SHOP, paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
    ]);
    const text = messages(result).join('\n');
    assert.match(text, /already served by an older Ingress in another namespace/);
    assert.doesNotMatch(text, /team-a|secret-project/);
  });
});

describe('translate: what one Ingress may cost', () => {
  const many = (name: string, paths: number, hosts = 1): KubernetesObject =>
    ingress({
      name,
      rules: Array.from({ length: hosts }, (_, h) => ({
        host: `h${h}.example.com`,
        paths: Array.from({ length: Math.ceil(paths / hosts) }, (_, i) => ({
          path: `/p${i}`,
          service: 'web',
          port: 80,
        })),
      })),
    });
  const base = (): KubernetesObject[] => [
    ingressClass(),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ingress({ name: 'small', rules: [{ host: 'small.example.com', paths: [{ service: 'web', port: 80 }] }] }),
  ];

  it('rejects an Ingress of 10,000 paths whole, by default, and serves the others', () => {
    const result = translateObjects([...base(), many('huge', 10_000)]);
    assert.equal(outcome(result, 'huge'), 'rejected');
    assert.equal(outcome(result, 'small'), 'served');
    assert.ok(
      messages(result).includes(
        'error: Ingress default/huge: spec: lists 10000 paths; an Ingress may list at most 1000 (ConfigMap max-paths-per-ingress)',
      ),
    );
    assert.equal(result.model.servers.length, 1);
  });

  it('follows the ConfigMap limits on paths and hosts', () => {
    const result = translateObjects(
      [
        ...base(),
        configMap({ 'max-paths-per-ingress': '3', 'max-hosts-per-ingress': '2' }),
        many('four-paths', 4),
        many('three-hosts', 3, 3),
        many('fits', 2, 2),
      ],
      WITH_CONFIG,
    );
    assert.equal(outcome(result, 'four-paths'), 'rejected');
    assert.equal(outcome(result, 'three-hosts'), 'rejected');
    assert.equal(outcome(result, 'fits'), 'served');
    assert.ok(
      messages(result).some((m) =>
        m.includes('lists 3 hosts; an Ingress may list at most 2 (ConfigMap max-hosts-per-ingress)'),
      ),
    );
  });

  it('counts TLS hosts too', () => {
    const result = translateObjects(
      [
        ...base(),
        configMap({ 'max-hosts-per-ingress': '2' }),
        ingress({
          name: 'tls-heavy',
          tls: [{ hosts: ['a.example.com', 'b.example.com', 'c.example.com'], secretName: 'x' }],
          rules: [{ host: 'a.example.com', paths: [{ service: 'web', port: 80 }] }],
        }),
      ],
      WITH_CONFIG,
    );
    assert.equal(outcome(result, 'tls-heavy'), 'rejected');
  });
});

describe('server_names hash at scale', () => {
  it('lets NGINX grow the server_names hash with the number of hosts', () => {
    const hosts = Array.from({ length: 1100 }, (_, i) => `h${i}.example.com`);
    const conf = renderObjects(
      [
        ingressClass(),
        ingress({
          name: 'many',
          rules: hosts.map((host) => ({ host, paths: [{ service: 'web', port: 80 }] })),
        }),
        ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
        configMap({ 'max-hosts-per-ingress': '2000', 'max-paths-per-ingress': '2000' }),
      ],
      WITH_CONFIG,
    ).conf;
    assert.ok(conf.includes('server_names_hash_max_size 4400;'));
    const small = renderObjects([ingressClass()]).conf;
    assert.ok(small.includes('server_names_hash_max_size 4096;'));
  });
});
