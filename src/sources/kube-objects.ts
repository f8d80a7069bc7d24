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
 * (in code-unit order) wins and the other is reported, so the result does not depend on load order. One
 * pass over the objects: every change of a source makes a whole Snapshot (30,000 objects at 10,000
 * Ingresses), and the endpoint fast path waits for it.
 */
export function buildSnapshot(
  objects: readonly SourcedObject[],
  diagnostics: readonly Diagnostic[],
): Snapshot {
  const extra: Diagnostic[] = [...diagnostics];
  // Sources mostly hand their objects over in origin order already (a folder's files by name; the API's
  // all "api"): sorted again only when not.
  const sorted = inOriginOrder(objects) ? objects : [...objects].sort((a, b) => cmp(a.origin, b.origin));
  const firstOrigin = new Map<string, string>();
  const lists = {
    Ingress: [] as V1Ingress[],
    IngressClass: [] as V1IngressClass[],
    Service: [] as V1Service[],
    EndpointSlice: [] as V1EndpointSlice[],
    Secret: [] as V1Secret[],
    ConfigMap: [] as V1ConfigMap[],
  } satisfies Record<Kind, KubernetesObject[]>;
  for (const { origin, object } of sorted) {
    const kind = object.kind ?? 'Unknown';
    const namespace = kind === 'IngressClass' ? '' : (object.metadata?.namespace ?? 'default');
    const key = `${kind}/${namespace}/${object.metadata?.name ?? ''}`;
    const first = firstOrigin.get(key);
    if (first !== undefined) {
      extra.push({
        severity: 'warning',
        object: objectRef(object),
        field: '',
        reason: `defined again in ${origin}; the copy in ${first} is used`,
      });
      continue;
    }
    firstOrigin.set(key, origin);
    if (isKind(kind)) (lists[kind] as KubernetesObject[]).push(object);
  }
  return {
    ingresses: lists.Ingress,
    ingressClasses: lists.IngressClass,
    services: lists.Service,
    endpointSlices: lists.EndpointSlice,
    secrets: lists.Secret,
    configMaps: lists.ConfigMap,
    diagnostics: extra,
  };
}

function inOriginOrder(objects: readonly SourcedObject[]): boolean {
  for (let i = 1; i < objects.length; i++)
    if (cmp((objects[i - 1] as SourcedObject).origin, (objects[i] as SourcedObject).origin) > 0) return false;
  return true;
}
