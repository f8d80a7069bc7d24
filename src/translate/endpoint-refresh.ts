import type { KubernetesObject, V1EndpointSlice } from '@kubernetes/client-node';
import { refKey, sortedDiagnostics, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import type { NginxModel, Upstream } from '../model/nginx.ts';
import { objectChanges } from '../model/object-changes.ts';
import { sameContent } from '../model/object-content.ts';
import type { NameResolution, Snapshot } from '../model/snapshot.ts';
import { DEFAULT_EXTERNAL_NAME_POLICY } from './address-policy.ts';
import { SERVICE_NAME_LABEL, ServiceIndex } from './backends.ts';
import type { TranslateOptions, TranslateResult } from './translate.ts';

/** A snapshot and what `translate` (or this fast path) made of it. */
export interface Translated {
  readonly snapshot: Snapshot;
  readonly result: TranslateResult;
}

/**
 * The fast path for endpoint changes (pods added, removed, turning unready): `translate(snapshot)` without
 * translating everything again, when `snapshot` differs from `before.snapshot` only in EndpointSlices.
 * Then only the upstreams' endpoints can differ: those of the Services whose EndpointSlices changed are
 * resolved again from the snapshot (the Services and ExternalName answers are unchanged); everything else
 * is `before.result`'s. Undefined when that would not be what translate gives, and translate must run:
 * - an object other than an EndpointSlice differs, or the source's diagnostics, or the ExternalName answers;
 * - a TCP/UDP or passthrough upstream's endpoints change (they are printed in nginx.conf: a reload).
 * An upstream gaining its first endpoint or losing its last stays here: translate's warnings about it
 * (no ready endpoints) are given again from `result.backendUses`. So the result never needs a new
 * nginx.conf: only the dynamic state (and those warnings) change. Pure; never throws on user input.
 * test/property/endpoint-refresh.test.ts checks it equals translate's result.
 */
export function refreshEndpoints(
  before: Translated,
  snapshot: Snapshot,
  options: Pick<TranslateOptions, 'externalNamePolicy'>,
): TranslateResult | undefined {
  if (!onlyEndpointSlicesDiffer(before.snapshot, snapshot)) return undefined;
  const changed = servicesWithChangedSlices(before.snapshot.endpointSlices, snapshot.endpointSlices);
  if (changed === undefined) return undefined;
  if (changed.size === 0) return before.result;
  const indexOf = (s: Snapshot): ServiceIndex =>
    new ServiceIndex(
      s.services.filter((svc) => changed.has(svc.metadata?.namespace, svc.metadata?.name)),
      s.endpointSlices.filter((slice) =>
        changed.has(slice.metadata?.namespace, slice.metadata?.labels?.[SERVICE_NAME_LABEL]),
      ),
      {
        externalNames: s.externalNames ?? new Map(),
        policy: options.externalNamePolicy ?? DEFAULT_EXTERNAL_NAME_POLICY,
      },
    );
  const index = indexOf(snapshot);
  const model = before.result.model;
  const http = refreshed(model.upstreams, changed, index);
  if (http === undefined) return undefined;
  // Printed in nginx.conf: any change of theirs needs translate, render and a reload.
  const stream = model.stream?.upstreams;
  if (stream !== undefined && refreshed(stream, changed, index)?.upstreams !== stream) return undefined;
  const { upstreams, emptied } = http;
  if (upstreams === model.upstreams) return before.result;
  // Only an upstream becoming empty, or no longer so, changes a warning.
  const diagnostics = emptied
    ? rewarned(before.result, upstreams, changed, indexOf(before.snapshot), index)
    : before.result.diagnostics;
  const next: NginxModel = { ...model, upstreams };
  return { ...before.result, model: next, diagnostics };
}

/**
 * The upstreams with their endpoints resolved again (the same array when none changed), and whether one
 * became empty or stopped being so; undefined when one needs translate.
 */
function refreshed(
  upstreams: readonly Upstream[],
  changed: ServiceSet,
  index: ServiceIndex,
): { upstreams: readonly Upstream[]; emptied: boolean } | undefined {
  let out: Upstream[] | undefined;
  let emptied = false;
  for (const [i, u] of upstreams.entries()) {
    if (u.backend === undefined) return undefined;
    const { namespace, service, port, clusterIp } = u.backend;
    if (!changed.has(namespace, service)) continue;
    const resolved = index.resolve(namespace, { service, port }, { clusterIp });
    if (resolved.kind !== 'upstream' || resolved.upstream.name !== u.name) return undefined;
    const endpoints = resolved.upstream.endpoints;
    if (sameEndpoints(u.endpoints, endpoints)) continue;
    if ((u.endpoints.length === 0) !== (endpoints.length === 0)) emptied = true;
    out ??= [...upstreams];
    out[i] = { ...u, endpoints };
  }
  return { upstreams: out ?? upstreams, emptied };
}

/**
 * `before`'s diagnostics with the warnings translate gives each user of a changed Service's upstream
 * (`TranslateResult.backendUses`: "no ready endpoints", or service-upstream's "headless") made again: a
 * user's old warning (resolved from the old snapshot) goes unless some user still gets the same one, and
 * each new one comes; sorted and without repeats, as translate gives them.
 */
function rewarned(
  before: TranslateResult,
  upstreams: readonly Upstream[],
  changed: ServiceSet,
  old: ServiceIndex,
  now: ServiceIndex,
): readonly Diagnostic[] {
  const backends = new Map(upstreams.map((u) => [u.name, u.backend]));
  const key = (object: ObjectRef, field: string, reason: string): string =>
    `${refKey(object)}\n${field}\n${reason}`;
  const gone = new Set<string>();
  const kept = new Set<string>();
  const added: Diagnostic[] = [];
  for (const { upstream, object, field, clusterIp = false } of before.backendUses) {
    const b = backends.get(upstream);
    if (b === undefined || !changed.has(b.namespace, b.service)) continue;
    // A use's warning also depends on whether it asked for the cluster IP (service-upstream).
    const warning = (index: ServiceIndex): string | undefined => {
      const r = index.resolve(b.namespace, { service: b.service, port: b.port }, { clusterIp });
      return r.kind === 'upstream' ? r.warning : undefined;
    };
    const previous = warning(old);
    const reason = warning(now);
    if (previous !== undefined) gone.add(key(object, field, previous));
    if (reason === undefined) continue;
    kept.add(key(object, field, reason));
    if (reason !== previous) added.push({ severity: 'warning', object, field, reason });
  }
  const diagnostics = before.diagnostics.filter((d) => {
    const k = key(d.object, d.field, d.reason);
    return !gone.has(k) || kept.has(k);
  });
  diagnostics.push(...added);
  return sortedDiagnostics(diagnostics);
}

function sameEndpoints(a: Upstream['endpoints'], b: Upstream['endpoints']): boolean {
  return a.length === b.length && a.every((e, i) => e.host === b[i]?.host && e.port === b[i].port);
}

/** Whether two snapshots hold the same objects, diagnostics and ExternalName answers but EndpointSlices. */
function onlyEndpointSlicesDiffer(a: Snapshot, b: Snapshot): boolean {
  return (
    sameObjects(a.ingresses, b.ingresses) &&
    sameObjects(a.services, b.services) &&
    sameObjects(a.secrets, b.secrets) &&
    sameObjects(a.configMaps, b.configMaps) &&
    sameObjects(a.ingressClasses, b.ingressClasses) &&
    JSON.stringify(a.diagnostics) === JSON.stringify(b.diagnostics) &&
    sameResolutions(a.externalNames, b.externalNames)
  );
}

/**
 * Services by namespace and name. Asked about every Service, EndpointSlice and upstream at each change
 * (10,000 of each at 10,000 Ingresses): by name first, no key made.
 */
class ServiceSet {
  private readonly byName = new Map<string, Set<string>>();

  get size(): number {
    return this.byName.size;
  }

  add(namespace: string | undefined, name: string | undefined): void {
    const namespaces = this.byName.get(name ?? '') ?? new Set<string>();
    namespaces.add(namespace ?? 'default');
    this.byName.set(name ?? '', namespaces);
  }

  has(namespace: string | undefined, name: string | undefined): boolean {
    return this.byName.get(name ?? '')?.has(namespace ?? 'default') === true;
  }
}

/**
 * The Services whose EndpointSlices differ between two lists; undefined when a list names one
 * EndpointSlice twice.
 */
function servicesWithChangedSlices(
  a: readonly V1EndpointSlice[],
  b: readonly V1EndpointSlice[],
): ServiceSet | undefined {
  const changes = differences(a, b);
  if (changes === undefined) return undefined;
  const changed = new ServiceSet();
  for (const slice of changes.flat())
    if (slice !== undefined)
      changed.add(slice.metadata?.namespace, slice.metadata?.labels?.[SERVICE_NAME_LABEL]);
  return changed;
}

/** `namespace/name` of an object, as ServiceIndex keys Services. */
function objectKey(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
}

/** Same objects, in any order. */
function sameObjects(a: readonly KubernetesObject[], b: readonly KubernetesObject[]): boolean {
  return differences(a, b)?.length === 0;
}

/**
 * The objects that differ between two lists, matched by namespace and name (see `objectChanges`); an
 * object read again (a file, an informer listing again, a status write's echo) compares by what translate
 * reads of it: after the leader wrote every Ingress's status, each is a new copy that differs only there.
 */
function differences<T extends KubernetesObject>(
  a: readonly T[],
  b: readonly T[],
): [T | undefined, T | undefined][] | undefined {
  return objectChanges(a, b, objectKey, sameContent);
}

function sameResolutions(
  a: ReadonlyMap<string, NameResolution> | undefined,
  b: ReadonlyMap<string, NameResolution> | undefined,
): boolean {
  if (a === b) return true;
  if ((a?.size ?? 0) !== (b?.size ?? 0)) return false;
  for (const [name, found] of a ?? []) {
    const other = b?.get(name);
    if (other !== found && JSON.stringify(other) !== JSON.stringify(found)) return false;
  }
  return true;
}
