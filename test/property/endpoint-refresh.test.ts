// The endpoint fast path (src/translate/endpoint-refresh.ts) must give exactly what translate gives: for
// random clusters and random sequences of changes (EndpointSlices mostly, sometimes something else), every
// time it answers, its result (model, dynamic state and diagnostics: a backend emptying or getting its
// first endpoint changes translate's warnings) equals translate's, nginx.conf is the one already served,
// and so the dynamic state it pushes is the full path's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NameResolution, Snapshot } from '../../src/model/snapshot.ts';
import { dynamicState, withEndpoints } from '../../src/render/dynamic-state.ts';
import { render } from '../../src/render/render.ts';
import { buildSnapshot } from '../../src/sources/kube-objects.ts';
import { refreshEndpoints, type Translated } from '../../src/translate/endpoint-refresh.ts';
import { translate, type TranslateOptions } from '../../src/translate/translate.ts';
import { configMap, externalNameService, ingress, ingressClass } from '../support/fixtures.ts';
import { OPTIONS, PATHS } from '../unit/harness.ts';

const OPTS: TranslateOptions = { ...OPTIONS, tcpServices: { namespace: 'ops', name: 'tcp' } };
const NAMESPACES = ['default', 'team'] as const;
const SERVICES = ['s1', 's2', 's3'] as const;
const A = 'nginx.ingress.kubernetes.io/';

type ServiceKind = 'pods' | 'cluster-ip' | 'external-ip' | 'external-name' | 'absent';
const serviceKind = fc.constantFrom<ServiceKind>(
  'pods',
  'pods',
  'pods',
  'cluster-ip',
  'external-ip',
  'external-name',
  'absent',
);

const endpointArb = fc.record({
  ip: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'not-an-ip'),
  ready: fc.constantFrom(true, true, false, undefined),
});
/** One EndpointSlice of a Service: its port (named as the Service's, or not) and endpoints. */
interface Slice {
  readonly portName: string;
  readonly port: number;
  readonly family: string;
  readonly endpoints: readonly { readonly ip: string; readonly ready: boolean | undefined }[];
}
const sliceArb: fc.Arbitrary<Slice> = fc.record({
  portName: fc.constantFrom('http', 'http', 'other'),
  port: fc.constantFrom(8080, 9090),
  family: fc.constantFrom('IPv4', 'IPv4', 'FQDN'),
  endpoints: fc.array(endpointArb, { maxLength: 4 }),
});
const slicesArb = fc.array(sliceArb, { maxLength: 2 });
/** A Service's slices as pods come and go: mostly one slice of the Service's port, some pods ready. */
const podsArb: fc.Arbitrary<Slice[]> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(endpointArb, { minLength: 1, maxLength: 4 })
      .map((endpoints) => [{ portName: 'http', port: 8080, family: 'IPv4', endpoints }]),
  },
  { weight: 1, arbitrary: slicesArb },
);

const pathArb = fc.record({
  path: fc.constantFrom('/', '/api', '/x'),
  service: fc.constantFrom('s1', 's1', 's2', 's3'),
  port: fc.constantFrom<number | string>(80, 'http', 81),
});
const ingressArb = fc.record({
  name: fc.constantFrom('web', 'api', 'shop'),
  namespace: fc.constantFrom(...NAMESPACES),
  host: fc.constantFrom('a.example.com', 'b.example.com'),
  paths: fc.array(pathArb, { minLength: 1, maxLength: 3 }),
  serviceUpstream: fc.boolean(),
  canary: fc.option(fc.constantFrom(...SERVICES), { nil: undefined }),
  defaultBackend: fc.boolean(),
});

const key = (ns: string, svc: string): string => `${ns}/${svc}`;
const allServices = NAMESPACES.flatMap((ns) => SERVICES.map((svc) => key(ns, svc)));

function serviceObject(k: string, kind: ServiceKind): KubernetesObject | undefined {
  const [namespace = '', name = ''] = k.split('/');
  if (kind === 'absent') return undefined;
  if (kind === 'external-ip') return externalNameService(name, '192.0.2.1', namespace);
  if (kind === 'external-name') return externalNameService(name, 'db.example.net', namespace);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      ...(kind === 'cluster-ip' && { clusterIP: '10.96.0.10' }),
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    },
  } as KubernetesObject;
}

function sliceObjects(k: string, slices: readonly Slice[]): KubernetesObject[] {
  const [namespace = '', name = ''] = k.split('/');
  return slices.map(
    (s, i) =>
      ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-${i}`, namespace, labels: { 'kubernetes.io/service-name': name } },
        addressType: s.family,
        ports: [{ ...(s.portName === 'other' ? {} : { name: s.portName }), port: s.port, protocol: 'TCP' }],
        endpoints: s.endpoints.map((e) => ({
          addresses: [e.ip],
          ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
        })),
      }) as KubernetesObject,
  );
}

type Ing = typeof ingressArb extends fc.Arbitrary<infer T> ? T : never;

function ingressObjects(list: readonly Ing[]): KubernetesObject[] {
  return list.flatMap((i) => [
    ingress({
      name: i.name,
      namespace: i.namespace,
      creationTimestamp: '2024-01-01T00:00:00Z',
      ...(i.serviceUpstream && { annotations: { [`${A}service-upstream`]: 'true' } }),
      rules: [{ host: i.host, paths: i.paths }],
      ...(i.defaultBackend && { defaultBackend: { service: 's2', port: 80 } }),
    }),
    ...(i.canary === undefined
      ? []
      : [
          ingress({
            name: `${i.name}-canary`,
            namespace: i.namespace,
            creationTimestamp: '2024-02-01T00:00:00Z',
            annotations: { [`${A}canary`]: 'true', [`${A}canary-weight`]: '30' },
            rules: [{ host: i.host, paths: i.paths.map((p) => ({ ...p, service: i.canary ?? 's1' })) }],
          }),
        ]),
  ]);
}

/** A change to the cluster: mostly EndpointSlices; sometimes something the fast path must leave alone. */
type Change =
  | { readonly kind: 'slices'; readonly service: string; readonly slices: Slice[] }
  | { readonly kind: 'service'; readonly service: string; readonly to: ServiceKind }
  | { readonly kind: 'same-ingress-again' }
  | { readonly kind: 'status-echo' }
  | { readonly kind: 'tcp'; readonly entry: string | undefined }
  | { readonly kind: 'dns'; readonly answer: NameResolution };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('slices' as const),
      // Mostly the Services the Ingresses use most.
      service: fc.constantFrom('default/s1', 'team/s1', 'default/s2', ...allServices),
      slices: podsArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('service' as const),
      service: fc.constantFrom(...allServices),
      to: serviceKind,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'same-ingress-again' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'status-echo' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tcp' as const),
      entry: fc.option(fc.constantFrom('default/s1:80', 'team/s3:http'), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('dns' as const),
      answer: fc.constantFrom<NameResolution>(
        { addresses: ['192.0.2.7'] },
        { addresses: ['192.0.2.8'] },
        { error: 'NXDOMAIN' },
      ),
    }),
  },
);

const scenarioArb = fc.record({
  ingresses: fc.uniqueArray(ingressArb, {
    selector: (i) => `${i.namespace}/${i.name}`,
    minLength: 1,
    maxLength: 4,
  }),
  services: fc.tuple(...allServices.map(() => serviceKind)),
  slices: fc.tuple(...allServices.map(() => podsArb)),
  tcp: fc.option(fc.constantFrom('default/s1:80', 'team/s3:http'), { nil: undefined }),
  changes: fc.array(changeArb, { minLength: 1, maxLength: 8 }),
});

/**
 * The cluster as a source holds it: each object stays the same object until it changes, as an informer
 * cache or a folder's unchanged files keep them.
 */
class World {
  readonly objects = new Map<string, KubernetesObject[]>();
  answer: NameResolution = { addresses: ['192.0.2.7'] };

  snapshot(): Snapshot {
    const all = [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, o]) => o);
    return {
      ...buildSnapshot(
        all.map((object) => ({ origin: 'objects.yaml', object })),
        [],
      ),
      externalNames: new Map([['db.example.net', this.answer]]),
    };
  }
}

let echoes = 0;
/**
 * The leader's status write coming back through the watch: a new copy of the object, with a new status
 * and resourceVersion, and a typed list's Date where the earlier copy had a string.
 */
function statusEcho(o: KubernetesObject): KubernetesObject {
  echoes += 1;
  const created = o.metadata?.creationTimestamp;
  return {
    ...o,
    metadata: {
      ...o.metadata,
      resourceVersion: String(echoes),
      ...(created === undefined ? {} : { creationTimestamp: new Date(created) }),
    },
    status: { loadBalancer: { ingress: [{ ip: '198.18.0.1' }] } },
  } as KubernetesObject;
}

const tcpConfig = (entry: string | undefined): KubernetesObject[] =>
  entry === undefined ? [] : [configMap({ '9000': entry }, 'ops', 'tcp')];

/** One Ingress `web` on a.example.com, / → Service default/s1 (pods), with a canary on `canary` if given. */
function webWorld(canary: Ing['canary']): World {
  const world = new World();
  world.objects.set('class', [ingressClass()]);
  world.objects.set(
    'ingresses',
    ingressObjects([
      {
        name: 'web',
        namespace: 'default',
        host: 'a.example.com',
        paths: [{ path: '/', service: 's1', port: 80 }],
        serviceUpstream: false,
        canary,
        defaultBackend: false,
      },
    ]),
  );
  world.objects.set('svc', [serviceObject('default/s1', 'pods') as KubernetesObject]);
  return world;
}

describe('endpoint fast path', () => {
  it('equals translate for random clusters and change sequences, and never changes nginx.conf', () => {
    let answered = 0;
    let changedEndpoints = 0;
    let changedWarnings = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const world = new World();
        world.objects.set('class', [ingressClass()]);
        world.objects.set('ingresses', ingressObjects(s.ingresses));
        world.objects.set('tcp', tcpConfig(s.tcp));
        allServices.forEach((k, i) => {
          const svc = serviceObject(k, s.services[i] ?? 'absent');
          world.objects.set(`svc ${k}`, svc === undefined ? [] : [svc]);
          world.objects.set(`slices ${k}`, sliceObjects(k, s.slices[i] ?? []));
        });
        let snapshot = world.snapshot();
        let state: Translated = { snapshot, result: translate(snapshot, OPTS) };
        let served = render(state.result.model, PATHS);
        for (const change of s.changes) {
          if (change.kind === 'slices')
            world.objects.set(`slices ${change.service}`, sliceObjects(change.service, change.slices));
          else if (change.kind === 'service') {
            const svc = serviceObject(change.service, change.to);
            world.objects.set(`svc ${change.service}`, svc === undefined ? [] : [svc]);
          } else if (change.kind === 'same-ingress-again')
            world.objects.set(
              'ingresses',
              (world.objects.get('ingresses') ?? []).map((o) => structuredClone(o)),
            );
          else if (change.kind === 'status-echo')
            world.objects.set('ingresses', (world.objects.get('ingresses') ?? []).map(statusEcho));
          else if (change.kind === 'tcp') world.objects.set('tcp', tcpConfig(change.entry));
          else world.answer = change.answer;
          snapshot = world.snapshot();
          const full = translate(snapshot, OPTS);
          const fast = refreshEndpoints(state, snapshot, OPTS);
          const rendered = render(full.model, PATHS);
          if (fast !== undefined) {
            answered += 1;
            if (fast !== state.result) changedEndpoints += 1;
            if (fast.diagnostics !== state.result.diagnostics) changedWarnings += 1;
            assert.deepEqual(fast, full);
            assert.equal(
              rendered.checksum,
              served.checksum,
              'the fast path answered, but nginx.conf changed',
            );
            assert.deepEqual(dynamicState(fast.model), rendered.dynamic);
            // What the reconciler pushes: the served state with only the changed backends made again.
            const pushed = withEndpoints(served.dynamic, state.result.model.upstreams, fast.model.upstreams);
            assert.deepEqual(pushed, rendered.dynamic);
          }
          state = { snapshot, result: fast ?? full };
          served = rendered;
        }
      }),
      { numRuns: 200 },
    );
    // Not vacuous: most changes are EndpointSlice changes the fast path takes, many of them changing endpoints.
    assert.ok(answered > 350, `the fast path answered only ${answered} times`);
    assert.ok(changedEndpoints > 12, `the fast path changed endpoints only ${changedEndpoints} times`);
    // …and many of those emptied a backend or gave an empty one its first endpoint (warnings made again).
    assert.ok(changedWarnings > 12, `the fast path changed warnings only ${changedWarnings} times`);
  });

  it('answers an EndpointSlice-only change with the new endpoints and warnings, and leaves a Service change to translate', () => {
    const world = webWorld(undefined);
    const one = { portName: 'http', port: 8080, family: 'IPv4' };
    world.objects.set(
      'slices',
      sliceObjects('default/s1', [{ ...one, endpoints: [{ ip: '10.0.0.1', ready: true }] }]),
    );
    const first = world.snapshot();
    const before: Translated = { snapshot: first, result: translate(first, OPTS) };

    world.objects.set(
      'slices',
      sliceObjects('default/s1', [
        {
          ...one,
          endpoints: [
            { ip: '10.0.0.1', ready: true },
            { ip: '10.0.0.2', ready: true },
          ],
        },
      ]),
    );
    const scaled = refreshEndpoints(before, world.snapshot(), OPTS);
    assert.deepEqual(
      scaled?.model.upstreams.map((u) => [u.name, u.endpoints.map((e) => `${e.host}:${e.port}`)]),
      [['default_s1_80', ['10.0.0.1:8080', '10.0.0.2:8080']]],
    );
    // The last endpoint going: the fast path answers with translate's warning, and drops it again when
    // the first endpoint comes back.
    world.objects.set('slices', []);
    const emptySnapshot = world.snapshot();
    const emptied = refreshEndpoints(before, emptySnapshot, OPTS);
    assert.ok(emptied !== undefined, 'the fast path leaves an emptied backend to translate');
    assert.deepEqual(
      emptied.diagnostics.map((d) => `${d.object.name} ${d.field}: ${d.reason}`),
      [
        'web spec.rules[0].http.paths[0].backend: Service default/s1 has no ready endpoints; requests get 503',
      ],
    );
    assert.deepEqual(emptied.model.upstreams[0]?.endpoints, []);
    world.objects.set(
      'slices',
      sliceObjects('default/s1', [{ ...one, endpoints: [{ ip: '10.0.0.4', ready: undefined }] }]),
    );
    const refilled = refreshEndpoints({ snapshot: emptySnapshot, result: emptied }, world.snapshot(), OPTS);
    assert.ok(refilled !== undefined, 'the fast path leaves a refilled backend to translate');
    assert.deepEqual(refilled.diagnostics, []);
    assert.deepEqual(refilled.model.upstreams[0]?.endpoints, [{ host: '10.0.0.4', port: 8080 }]);
    world.objects.set(
      'slices',
      sliceObjects('default/s1', [{ ...one, endpoints: [{ ip: '10.0.0.3', ready: true }] }]),
    );
    world.objects.set('svc', [serviceObject('default/s1', 'cluster-ip') as KubernetesObject]);
    assert.equal(refreshEndpoints(before, world.snapshot(), OPTS), undefined);
  });

  it('takes an EndpointSlice change after the leader wrote every Ingress status (each a new copy)', () => {
    const world = webWorld('s2');
    const one = { portName: 'http', port: 8080, family: 'IPv4' };
    const pods = (ip: string): KubernetesObject[] =>
      sliceObjects('default/s1', [{ ...one, endpoints: [{ ip, ready: true }] }]);
    world.objects.set('slices', pods('10.0.0.1'));
    const first = world.snapshot();
    const before: Translated = { snapshot: first, result: translate(first, OPTS) };
    world.objects.set('ingresses', (world.objects.get('ingresses') ?? []).map(statusEcho));
    world.objects.set('slices', pods('10.0.0.2'));
    const after = world.snapshot();
    const fast = refreshEndpoints(before, after, OPTS);
    assert.ok(fast !== undefined, 'a status echo sent the EndpointSlice change to translate');
    assert.deepEqual(fast, translate(after, OPTS));
    // What translate reads does change: an annotation on the echoed copy.
    world.objects.set(
      'ingresses',
      (world.objects.get('ingresses') ?? []).map((o, i) =>
        i === 0
          ? { ...o, metadata: { ...o.metadata, annotations: { [`${A}service-upstream`]: 'true' } } }
          : o,
      ),
    );
    assert.equal(refreshEndpoints(before, world.snapshot(), OPTS), undefined);
  });
});
