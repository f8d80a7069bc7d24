// An edit costs what it changes: translate parses an Ingress once per content (translate.ts parsedOnce,
// ingress-content.ts) and a certificate Secret once per object (certificates.ts), and builds a host's
// Server again only when something its build reads changed (src/translate/translate-memo.ts), and render
// prints a host's server block again only when the host (or what its block reads) changed
// (src/render/server-blocks.ts). Those must be pure caches: for random clusters and random sequences of
// changes — an Ingress edited, added or deleted, a TLS Secret shared by several hosts rotated, the global
// ConfigMap changed, a Service going away, a pod replaced, every Ingress copied by a status echo — the
// result translated with the memo of every translate before, and the files rendered with the cache of
// every render before, equal those made from nothing, after every change; a status echo builds no host
// again. The changes include what crosses hosts: the default backend, the same host and path claimed from
// two namespaces, canaries, basic auth Secrets, allowlists and rate limits (http-level geo blocks and
// zones), host-namespace-isolation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { render, type RenderedConfig } from '../../src/render/render.ts';
import { ServerBlockCache } from '../../src/render/server-blocks.ts';
import { buildSnapshot } from '../../src/sources/kube-objects.ts';
import { withContentOf } from '../../src/sources/kube/trim.ts';
import { translate, type TranslateOptions } from '../../src/translate/translate.ts';
import { TranslateMemo } from '../../src/translate/translate-memo.ts';
import {
  certificateFor,
  configMap,
  ingress,
  ingressClass,
  opaqueSecret,
  serviceWithEndpoints,
  tlsSecret,
} from '../support/fixtures.ts';
import { OPTIONS, PATHS } from '../unit/harness.ts';

const A = 'nginx.ingress.kubernetes.io/';
const OPTS: TranslateOptions = {
  ...OPTIONS,
  configMap: { namespace: 'ops', name: 'gatehouse' },
  defaultBackendService: { namespace: 'ops', name: 'fallback' },
};
const RENDER_PATHS = { ...PATHS, metricsLog: '/etc/gatehouse/run/metrics.log' };
const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com', '*.example.com'] as const;
const NAMESPACES = ['default', 'team'] as const;
const certificates = [
  await certificateFor('a.example.com', 'b.example.com', 'c.example.com', '*.example.com'),
  await certificateFor('a.example.com', 'b.example.com', 'c.example.com', '*.example.com'),
];
const htpasswd = ['user:{PLAIN}one', 'user:{PLAIN}two'];

const ingressArb = fc.record({
  name: fc.constantFrom('web', 'api', 'shop', 'more'),
  namespace: fc.constantFrom(...NAMESPACES),
  hosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 2 }),
  paths: fc.uniqueArray(fc.constantFrom('/', '/api', '/x'), { minLength: 1, maxLength: 2 }),
  service: fc.constantFrom('s1', 's2', 'gone'),
  tls: fc.boolean(),
  canary: fc.boolean(),
  defaultBackend: fc.boolean(),
  sslRedirect: fc.option(fc.boolean(), { nil: undefined }),
  auth: fc.boolean(),
  allow: fc.option(fc.constantFrom('10.0.0.0/8', '192.168.0.0/16'), { nil: undefined }),
  limit: fc.boolean(),
  age: fc.integer({ min: 1, max: 9 }),
});
type Ing = typeof ingressArb extends fc.Arbitrary<infer T> ? T : never;

function ingressObject(i: Ing): KubernetesObject {
  const annotations: Record<string, string> = {
    ...(i.canary && { [`${A}canary`]: 'true', [`${A}canary-weight`]: '20' }),
    ...(i.sslRedirect !== undefined && { [`${A}ssl-redirect`]: String(i.sslRedirect) }),
    ...(i.auth && { [`${A}auth-type`]: 'basic', [`${A}auth-secret`]: 'users' }),
    ...(i.allow !== undefined && { [`${A}allowlist-source-range`]: i.allow }),
    ...(i.limit && { [`${A}limit-rps`]: '5', [`${A}limit-allowlist`]: '10.0.0.0/8' }),
  };
  return ingress({
    name: i.name,
    namespace: i.namespace,
    creationTimestamp: `2024-01-0${i.age}T00:00:00Z`,
    annotations,
    rules: i.hosts.map((host) => ({
      host,
      paths: i.paths.map((path) => ({ path, service: i.service, port: 80 })),
    })),
    ...(i.tls && { tls: [{ hosts: [...i.hosts], secretName: 'shared-tls' }] }),
    ...(i.defaultBackend && { defaultBackend: { service: 's2', port: 80 } }),
  });
}

const configArb = fc.record({
  hsts: fc.boolean(),
  isolation: fc.boolean(),
  bodySize: fc.constantFrom('1m', '8m'),
  // Read by every server block itself, not through translate.
  blockAgents: fc.boolean(),
  // Refuses the Ingresses with auth or allowlist annotations when Low.
  risk: fc.constantFrom('Critical', 'Low'),
});
type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

type Change =
  | { readonly kind: 'put'; readonly ingress: Ing }
  | { readonly kind: 'delete'; readonly index: number }
  | { readonly kind: 'rotate'; readonly namespace: string }
  | { readonly kind: 'auth'; readonly namespace: string }
  | { readonly kind: 'config'; readonly config: Config }
  | { readonly kind: 'service'; readonly namespace: string; readonly present: boolean }
  | { readonly kind: 'endpoints'; readonly namespace: string; readonly address: number }
  | { readonly kind: 'status' };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), ingress: ingressArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), index: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('rotate' as const), namespace: fc.constantFrom(...NAMESPACES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('auth' as const), namespace: fc.constantFrom(...NAMESPACES) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('config' as const), config: configArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('service' as const),
      namespace: fc.constantFrom(...NAMESPACES),
      present: fc.boolean(),
    }),
  },
  {
    // A pod of s1 replaced (the namespace's or, from ops, the global default backend's).
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('endpoints' as const),
      namespace: fc.constantFrom(...NAMESPACES, 'ops'),
      address: fc.integer({ min: 1, max: 3 }),
    }),
  },
  // The leader's status writes echoing back: every Ingress a new copy with the same content.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const) }) },
);

/** The cluster as a source holds it: an object stays the same object until it changes. */
class World {
  readonly objects = new Map<string, readonly KubernetesObject[]>();
  private rotation = new Map<string, number>();

  constructor(ingresses: readonly Ing[], config: Config) {
    this.objects.set('class', [ingressClass()]);
    this.objects.set(
      'fallback',
      serviceWithEndpoints('fallback', [{ ip: '10.1.0.1', port: 8080 }], { namespace: 'ops' }),
    );
    for (const ns of NAMESPACES) {
      this.service(ns, true);
      this.rotate(ns);
      this.objects.set(`auth ${ns}`, [opaqueSecret('users', { auth: htpasswd[0] ?? '' }, ns)]);
    }
    this.configure(config);
    for (const i of ingresses) this.put(i);
  }

  put(i: Ing): void {
    this.objects.set(`ingress ${i.namespace}/${i.name}`, [ingressObject(i)]);
  }

  ingressKeys(): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith('ingress ')).sort();
  }

  rotate(namespace: string): void {
    const n = (this.rotation.get(namespace) ?? -1) + 1;
    this.rotation.set(namespace, n);
    const cert = certificates[n % certificates.length];
    if (cert !== undefined) this.objects.set(`tls ${namespace}`, [tlsSecret('shared-tls', cert, namespace)]);
  }

  service(namespace: string, present: boolean): void {
    this.objects.set(
      `svc ${namespace}`,
      present
        ? ['s1', 's2'].flatMap((s, k) =>
            serviceWithEndpoints(s, [{ ip: `10.0.${k}.1`, port: 8080 }], { namespace }),
          )
        : [],
    );
  }

  configure(c: Config): void {
    this.objects.set('config', [
      configMap({
        hsts: String(c.hsts),
        'host-namespace-isolation': String(c.isolation),
        'proxy-body-size': c.bodySize,
        ...(c.blockAgents && { 'block-user-agents': 'badbot' }),
        'annotations-risk-level': c.risk,
      }),
    ]);
  }

  apply(change: Change): void {
    switch (change.kind) {
      case 'put':
        return this.put(change.ingress);
      case 'delete': {
        const keys = this.ingressKeys();
        const key = keys[change.index % Math.max(1, keys.length)];
        if (key !== undefined) this.objects.delete(key);
        return;
      }
      case 'rotate':
        return this.rotate(change.namespace);
      case 'auth': {
        const current = this.objects.get(`auth ${change.namespace}`)?.[0] as { data?: { auth?: string } };
        const next = current.data?.auth === Buffer.from(htpasswd[0] ?? '').toString('base64') ? 1 : 0;
        this.objects.set(`auth ${change.namespace}`, [
          opaqueSecret('users', { auth: htpasswd[next] ?? '' }, change.namespace),
        ]);
        return;
      }
      case 'config':
        return this.configure(change.config);
      case 'service':
        return this.service(change.namespace, change.present);
      case 'endpoints': {
        const address = { ip: `10.9.0.${change.address}`, port: 8080 };
        if (change.namespace === 'ops')
          return void this.objects.set(
            'fallback',
            serviceWithEndpoints('fallback', [address], { namespace: 'ops' }),
          );
        if (this.objects.get(`svc ${change.namespace}`)?.length === 0) return;
        return void this.objects.set(`svc ${change.namespace}`, [
          ...serviceWithEndpoints('s1', [address], { namespace: change.namespace }),
          ...serviceWithEndpoints('s2', [{ ip: '10.0.1.1', port: 8080 }], { namespace: change.namespace }),
        ]);
      }
      case 'status':
        // As KubeSource caches an update that changes nothing translate reads: a new object sharing spec,
        // labels and annotations with the copy before.
        for (const key of this.ingressKeys()) {
          const [before] = this.objects.get(key) ?? [];
          if (before === undefined) continue;
          const echo = {
            ...before,
            metadata: {
              ...before.metadata,
              resourceVersion: String(Number(before.metadata?.resourceVersion ?? 0) + 1),
            },
            status: { loadBalancer: { ingress: [{ ip: '198.18.0.1' }] } },
          };
          this.objects.set(key, [withContentOf(before, echo)]);
        }
        return;
    }
  }

  snapshot(): Snapshot {
    const all = [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, o]) => o);
    return buildSnapshot(
      all.map((object) => ({ origin: 'objects.yaml', object })),
      [],
    );
  }
}

function files(rendered: RenderedConfig): unknown {
  return { checksum: rendered.checksum, files: rendered.files, dynamic: rendered.dynamic };
}

const scenarioArb = fc.record({
  ingresses: fc.array(ingressArb, { minLength: 1, maxLength: 5 }),
  config: configArb,
  changes: fc.array(changeArb, { minLength: 1, maxLength: 10 }),
});

describe('incremental translate and render', () => {
  it('give, after every change, what a translate and render from nothing give', () => {
    let reused = 0;
    let hostsReused = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const world = new World(s.ingresses, s.config);
        const blocks = new ServerBlockCache();
        const memo = new TranslateMemo();
        let previous: RenderedConfig | undefined;
        for (const change of [undefined, ...s.changes]) {
          if (change !== undefined) world.apply(change);
          const snapshot = world.snapshot();
          const result = translate(snapshot, OPTS, memo);
          hostsReused += memo.reused;
          if (change?.kind === 'status') assert.equal(memo.built, 0, 'a status echo builds no host again');
          // The same objects as new objects: nothing translate keeps per object applies to them.
          const fresh = translate(structuredClone(snapshot), OPTS);
          assert.deepEqual(result, fresh);
          const incremental = render(result.model, RENDER_PATHS, blocks);
          const full = render(fresh.model, RENDER_PATHS, new ServerBlockCache());
          assert.deepEqual(files(incremental), files(full));
          // Route ids are the model's (blocks reused for shifted hosts join theirs in anew).
          const printedRoutes = [...incremental.nginxConf.matchAll(/\$gatehouse_route (\d+);/g)].map((m) =>
            Number(m[1]),
          );
          const modelRoutes = [result.model.defaultServer, ...result.model.servers].flatMap((server) =>
            server.locations.map((l) => l.route),
          );
          assert.deepEqual(printedRoutes, modelRoutes);
          if (previous !== undefined && previous.checksum !== incremental.checksum)
            reused += result.model.servers.length - blocks.printed;
          previous = incremental;
        }
      }),
      { numRuns: 150 },
    );
    assert.ok(reused > 0, 'a changed config reused the blocks of hosts that did not change');
    assert.ok(hostsReused > 0, 'translate reused the Servers of hosts that did not change');
  });
});
