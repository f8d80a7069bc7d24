import type { KubernetesObject } from '@kubernetes/client-node';
import type { NginxModel, Upstream } from '../model/nginx.ts';
import type { NameResolution, Snapshot } from '../model/snapshot.ts';
import { DEFAULT_EXTERNAL_NAME_POLICY } from './address-policy.ts';
import { ServiceIndex } from './backends.ts';
import type { TranslateOptions, TranslateResult } from './translate.ts';

/** A snapshot and what `translate` (or this fast path) made of it. */
export interface Translated {
  readonly snapshot: Snapshot;
  readonly result: TranslateResult;
}

/**
 * The fast path for endpoint changes (pods added, removed, turning unready): `translate(snapshot)` without
 * translating everything again, when `snapshot` differs from `before.snapshot` only in EndpointSlices.
 * Then only the upstreams' endpoints can differ, and they are resolved again from the snapshot's Services
 * and EndpointSlices (and the ExternalName answers, which must be unchanged too); everything else is
 * `before.result`'s. Undefined when that would not be what translate gives, and translate must run:
 * - an object other than an EndpointSlice differs, or the source's diagnostics, or the ExternalName answers;
 * - a TCP/UDP or passthrough upstream's endpoints change (they are printed in nginx.conf: a reload);
 * - an upstream gains its first endpoint or loses its last (translate warns about an empty one).
 * So the result never needs a new nginx.conf: only the dynamic state changes. Pure; never throws on user
 * input. test/property/endpoint-refresh.test.ts checks it equals translate's result.
 */
export function refreshEndpoints(
  before: Translated,
  snapshot: Snapshot,
  options: Pick<TranslateOptions, 'externalNamePolicy'>,
): TranslateResult | undefined {
  if (!onlyEndpointSlicesDiffer(before.snapshot, snapshot)) return undefined;
  const index = new ServiceIndex(snapshot.services, snapshot.endpointSlices, {
    externalNames: snapshot.externalNames ?? new Map(),
    policy: options.externalNamePolicy ?? DEFAULT_EXTERNAL_NAME_POLICY,
  });
  const model = before.result.model;
  const upstreams = refreshed(model.upstreams, index);
  if (upstreams === undefined) return undefined;
  // Printed in nginx.conf: any change of theirs needs translate, render and a reload.
  const stream = model.stream?.upstreams;
  if (stream !== undefined && refreshed(stream, index) !== stream) return undefined;
  if (upstreams === model.upstreams) return before.result;
  const next: NginxModel = { ...model, upstreams };
  return { ...before.result, model: next };
}

/**
 * The upstreams with their endpoints resolved again: the same array when none changed; undefined when one
 * needs translate (its first endpoint coming, or its last going: translate warns about an empty one).
 */
function refreshed(upstreams: readonly Upstream[], index: ServiceIndex): readonly Upstream[] | undefined {
  let out: Upstream[] | undefined;
  for (const [i, u] of upstreams.entries()) {
    if (u.backend === undefined) return undefined;
    const { namespace, service, port, clusterIp } = u.backend;
    const resolved = index.resolve(namespace, { service, port }, { clusterIp });
    if (resolved.kind !== 'upstream' || resolved.upstream.name !== u.name) return undefined;
    const endpoints = resolved.upstream.endpoints;
    if (sameEndpoints(u.endpoints, endpoints)) continue;
    if ((u.endpoints.length === 0) !== (endpoints.length === 0)) return undefined;
    out ??= [...upstreams];
    out[i] = { ...u, endpoints };
  }
  return out ?? upstreams;
}

function sameEndpoints(a: Upstream['endpoints'], b: Upstream['endpoints']): boolean {
  return a.length === b.length && a.every((e, i) => e.host === b[i]?.host && e.port === b[i].port);
}

/** Whether two snapshots hold the same objects, diagnostics and ExternalName answers but EndpointSlices. */
export function onlyEndpointSlicesDiffer(a: Snapshot, b: Snapshot): boolean {
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
 * Same objects, in any order. Sources hand out a changed object as a new object, so an unchanged one is
 * usually the very same object (a cluster's informer cache, a folder's unchanged files); others (a file
 * read again, an informer listing again) compare by content.
 */
function sameObjects(a: readonly KubernetesObject[], b: readonly KubernetesObject[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (i === a.length) return true;
  const key = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const byKey = new Map(a.slice(i).map((o) => [key(o), o]));
  if (byKey.size !== a.length - i) return false; // the same name twice: not worth a closer look
  return b.slice(i).every((o) => {
    const old = byKey.get(key(o));
    byKey.delete(key(o)); // each one matches one
    return old !== undefined && (old === o || JSON.stringify(old) === JSON.stringify(o));
  });
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
