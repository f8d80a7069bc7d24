// Same objects in any order, replayed or duplicated → byte-identical nginx.conf and checksum. That is what
// makes golden files, reload skipping and debugging by diff work.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { render } from '../../src/render/render.ts';
import { buildSnapshot } from '../../src/sources/kube-objects.ts';
import { translate, type TranslateOptions } from '../../src/translate/translate.ts';
import {
  certificateFor,
  externalNameService,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type PathSpec,
  type TestCertificate,
} from '../support/fixtures.ts';
import { OPTIONS, PATHS } from '../unit/harness.ts';

let certs: TestCertificate[] = [];
before(async () => {
  certs = await Promise.all([certificateFor('a.example.com'), certificateFor('*.example.com')]);
});

const OPTS: TranslateOptions = {
  ...OPTIONS,
  configMap: { namespace: 'gatehouse', name: 'config' },
  defaultBackendService: { namespace: 'default', name: 's3' },
};

const NAMESPACES = ['default', 'team'] as const;
const SERVICES = ['s1', 's2', 's3'] as const;

const pathSpec: fc.Arbitrary<PathSpec> = fc.record({
  path: fc.constantFrom('/', '/api', '/api/', '/api/v2', '/static', '/x'),
  pathType: fc.constantFrom('Exact' as const, 'Prefix' as const, 'ImplementationSpecific' as const),
  service: fc.constantFrom(...SERVICES, 'missing'),
  port: fc.constantFrom<number | string>(80, 'http', 81),
});

const ingressArb = fc.record({
  name: fc.constantFrom('web', 'api', 'shop', 'legacy'),
  namespace: fc.constantFrom(...NAMESPACES),
  creationTimestamp: fc.constantFrom('2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z'),
  annotations: fc.dictionary(
    fc.constantFrom(
      'nginx.ingress.kubernetes.io/proxy-read-timeout',
      'nginx.ingress.kubernetes.io/ssl-redirect',
      'nginx.ingress.kubernetes.io/allowlist-source-range',
      'nginx.ingress.kubernetes.io/whitelist-source-range',
      'nginx.ingress.kubernetes.io/backend-protocol',
      'nginx.ingress.kubernetes.io/rewrite-target',
    ),
    fc.constantFrom('30', 'false', '10.0.0.0/8,192.168.0.1', 'HTTPS', 'bogus'),
    { maxKeys: 3 },
  ),
  rules: fc.array(
    fc.record({
      host: fc.constantFrom('a.example.com', 'b.example.com', '*.example.com', undefined),
      paths: fc.array(pathSpec, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  tls: fc.array(
    fc.record({
      hosts: fc.subarray(['a.example.com', 'b.example.com', '*.example.com']),
      secretName: fc.constantFrom('cert-a', 'cert-wild', 'cert-missing'),
    }),
    { maxLength: 2 },
  ),
  withDefaultBackend: fc.boolean(),
});

const serviceArb = fc.record({
  name: fc.constantFrom(...SERVICES),
  namespace: fc.constantFrom(...NAMESPACES),
  external: fc.boolean(),
  endpoints: fc.array(
    fc.record({
      ip: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
      port: fc.constantFrom(8080, 9090),
      ready: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
});

const configArb = fc.dictionary(
  fc.constantFrom('keep-alive', 'proxy-body-size', 'ssl-protocols', 'hsts', 'worker-processes', 'unknown'),
  fc.constantFrom('30', '8m', 'TLSv1.3 TLSv1.2', 'true', 'auto', 'nope'),
  { maxKeys: 4 },
);

/** A small cluster: every object has a distinct kind/namespace/name, as in a real API server. */
const clusterArb = fc
  .record({
    ingresses: fc.uniqueArray(ingressArb, {
      selector: (i) => `${i.namespace}/${i.name}`,
      minLength: 1,
      maxLength: 5,
    }),
    services: fc.uniqueArray(serviceArb, { selector: (s) => `${s.namespace}/${s.name}`, maxLength: 5 }),
    config: fc.option(configArb, { nil: undefined }),
    defaultClass: fc.boolean(),
  })
  .map((c): KubernetesObject[] => [
    ingressClass('gatehouse', OPTIONS.controllerClass, c.defaultClass),
    ingressClass('other', 'example.com/other-controller'),
    ...c.ingresses.map((i) =>
      ingress({
        ...i,
        // `legacy` names no class: ours only when our IngressClass is the cluster default.
        className: i.name === 'legacy' ? null : 'gatehouse',
        rules: i.rules.map((r) => ({ ...(r.host === undefined ? {} : { host: r.host }), paths: r.paths })),
        tls: i.tls.map((t) => ({
          ...(t.hosts.length > 0 ? { hosts: t.hosts } : {}),
          secretName: t.secretName,
        })),
        ...(i.withDefaultBackend ? { defaultBackend: { service: 's1', port: 80 } } : {}),
      }),
    ),
    ...c.services.flatMap((s) =>
      s.external
        ? [externalNameService(s.name, '192.0.2.1', s.namespace)]
        : serviceWithEndpoints(s.name, s.endpoints, { namespace: s.namespace }),
    ),
    ...NAMESPACES.flatMap((ns) => [
      tlsSecret('cert-a', certs[0]!, ns),
      tlsSecret('cert-wild', certs[1]!, ns),
    ]),
    ...(c.config
      ? [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'config', namespace: 'gatehouse' },
            data: c.config,
          } as KubernetesObject,
        ]
      : []),
  ]);

function asSnapshot(objects: readonly KubernetesObject[]): Snapshot {
  const of = <T>(kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];
  return {
    ingresses: of('Ingress'),
    ingressClasses: of('IngressClass'),
    services: of('Service'),
    endpointSlices: of('EndpointSlice'),
    secrets: of('Secret'),
    configMaps: of('ConfigMap'),
    diagnostics: [],
  };
}

function output(snapshot: Snapshot): { conf: string; checksum: string; diagnostics: string } {
  const result = translate(snapshot, OPTS);
  const rendered = render(result.model, PATHS);
  return {
    conf: rendered.nginxConf,
    checksum: rendered.checksum,
    diagnostics: JSON.stringify(result.diagnostics),
  };
}

/** A deep copy with the order of every list and map inside an object that carries no meaning shuffled. */
function reorderInside(object: KubernetesObject, seed: number): KubernetesObject {
  const copy = structuredClone(object) as KubernetesObject & {
    endpoints?: { addresses: string[] }[];
    data?: Record<string, string>;
  };
  const rotate = <T>(list: T[]): T[] => list.map((_, i) => list[(i + seed) % list.length] as T);
  if (copy.endpoints)
    copy.endpoints = rotate(copy.endpoints.map((e) => ({ ...e, addresses: rotate(e.addresses) })));
  if (copy.data) copy.data = Object.fromEntries(rotate(Object.entries(copy.data)));
  const annotations = copy.metadata?.annotations;
  if (copy.metadata && annotations)
    copy.metadata.annotations = Object.fromEntries(rotate(Object.entries(annotations)));
  return copy;
}

/** The cluster, shuffled, with some objects appearing again (identical content) and inner lists reordered. */
const variantArb = clusterArb.chain((objects) =>
  fc.record({
    objects: fc.constant(objects),
    shuffled: fc.shuffledSubarray(objects, { minLength: objects.length, maxLength: objects.length }),
    extra: fc.subarray(objects),
    seed: fc.nat(7),
  }),
);

describe('determinism', () => {
  it('gives the same nginx.conf, checksum and diagnostics for shuffled, duplicated snapshots', () => {
    fc.assert(
      fc.property(variantArb, ({ objects, shuffled, extra, seed }) => {
        const base = output(asSnapshot(objects));
        const variant = [...shuffled, ...extra.map((o) => reorderInside(o, seed))].map((o) =>
          reorderInside(o, seed),
        );
        assert.deepEqual(output(asSnapshot(variant)), base);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same nginx.conf through buildSnapshot, whatever the load order and repeated files', () => {
    fc.assert(
      fc.property(variantArb, ({ objects, shuffled, extra }) => {
        const base = output(
          buildSnapshot(
            objects.map((object) => ({ origin: 'a.yaml', object })),
            [],
          ),
        );
        const loaded = [
          ...shuffled.map((object) => ({ origin: 'a.yaml', object })),
          ...extra.map((object) => ({ origin: 'b.yaml', object: structuredClone(object) })),
        ];
        const out = output(buildSnapshot(loaded, []));
        assert.equal(out.conf, base.conf);
        assert.equal(out.checksum, base.checksum);
        // The "defined again" diagnostics name the files, and do not depend on load order either.
        assert.deepEqual(output(buildSnapshot([...loaded].reverse(), [])), out);
      }),
      { numRuns: 150 },
    );
  });

  it('gives a different checksum when the config changes', () => {
    fc.assert(
      fc.property(clusterArb, (objects) => {
        const base = output(asSnapshot(objects));
        const more = output(
          asSnapshot([
            ...objects,
            ingress({
              name: 'extra',
              namespace: 'other',
              rules: [{ host: 'new.example.com', paths: [{ service: 's1', port: 80 }] }],
            }),
          ]),
        );
        assert.notEqual(more.checksum, base.checksum);
        assert.match(more.conf, /server_name new\.example\.com;/);
      }),
      { numRuns: 30 },
    );
  });
});
