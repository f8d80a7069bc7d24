import type {
  KubernetesObject,
  V1ConfigMap,
  V1EndpointSlice,
  V1Ingress,
  V1IngressClass,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import { cmp } from '../model/diagnostics.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** The kinds Gatehouse reads, with the apiVersion each must have. */
export const KINDS = {
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Secret: 'v1',
  ConfigMap: 'v1',
} as const;

export type Kind = keyof typeof KINDS;

export function isKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}

export function objectRef(obj: KubernetesObject): ObjectRef {
  return {
    kind: obj.kind ?? 'Unknown',
    namespace: obj.kind === 'IngressClass' ? '' : (obj.metadata?.namespace ?? 'default'),
    name: obj.metadata?.name ?? '',
  };
}

/** An object plus where it came from (a file path, or "api"), for diagnostics about duplicates. */
export interface SourcedObject {
  readonly origin: string;
  readonly object: KubernetesObject;
}

/**
 * Sorts loaded objects into a Snapshot. When the same object appears twice, the copy from the first origin
 * (in code-unit order) wins and the other is reported, so the result does not depend on load order.
 */
export function buildSnapshot(
  objects: readonly SourcedObject[],
  diagnostics: readonly Diagnostic[],
): Snapshot {
  const byKey = new Map<string, SourcedObject>();
  const extra: Diagnostic[] = [...diagnostics];
  const sorted = [...objects].sort((a, b) => cmp(a.origin, b.origin));
  for (const item of sorted) {
    const ref = objectRef(item.object);
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const first = byKey.get(key);
    if (first !== undefined) {
      extra.push({
        severity: 'warning',
        object: ref,
        field: '',
        reason: `defined again in ${item.origin}; the copy in ${first.origin} is used`,
      });
      continue;
    }
    byKey.set(key, item);
  }
  const of = <T>(kind: Kind): T[] =>
    [...byKey.values()].filter((o) => o.object.kind === kind).map((o) => o.object as T);
  return {
    ingresses: of<V1Ingress>('Ingress'),
    ingressClasses: of<V1IngressClass>('IngressClass'),
    services: of<V1Service>('Service'),
    endpointSlices: of<V1EndpointSlice>('EndpointSlice'),
    secrets: of<V1Secret>('Secret'),
    configMaps: of<V1ConfigMap>('ConfigMap'),
    diagnostics: extra,
  };
}
