import type { KubernetesObject, V1Endpoint, V1Ingress, V1ServiceSpec } from '@kubernetes/client-node';

// What the informer caches keep of each object: only what translate reads. The informers hand each object
// arriving from a list page or a watch event to trimmed(), and cache what it returns: a new object, built
// from the parts kept, so the parts dropped never outlive the page or event that brought them. Built, not
// trimmed in place: V8 turns an object that loses a property with `delete` into a hash-table ("dictionary")
// object, so deleting made 10,000 EndpointSlices of 5 endpoints take more heap (43 MB) than keeping them
// whole (22 MB); built afresh they take 13 MB.

/** The Secret keys translate reads: certificates and keys, CA bundles and CRLs, htpasswd files. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['tls.crt', 'tls.key', 'ca.crt', 'ca.crl', 'auth']);

/** kubectl's copy of the whole object as last applied: never read, often as large as the object itself. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Metadata never read: the API server's field owners, and the objects this one belongs to. */
const DROPPED_METADATA = new Set(['managedFields', 'ownerReferences']);
/**
 * What translate reads of a Service's spec (backends.ts, translate.ts): its type, address, external name and
 * ports. Not its IP families, selector, traffic policies or load balancer settings, nor its status.
 */
const SERVICE_SPEC_KEYS: ReadonlySet<string> = new Set(['type', 'clusterIP', 'externalName', 'ports']);

// Read here (sources may not import the annotation registry) to find the Secrets whose every key counts.
const AUTH_SECRET = 'nginx.ingress.kubernetes.io/auth-secret';
const AUTH_SECRET_TYPE = 'nginx.ingress.kubernetes.io/auth-secret-type';

export const secretKey = (namespace: string | undefined, name: string | undefined): string =>
  `${namespace ?? ''}/${name ?? ''}`;

/**
 * A copy of `object` without what translate never reads: `managedFields`, `ownerReferences`, kubectl's
 * last-applied copy, the uid of anything but an Ingress (only an Ingress's Events name it), a Service's
 * status and its spec outside SERVICE_SPEC_KEYS, the pods and nodes behind an EndpointSlice's endpoints (each
 * keeps its addresses and conditions), and the data of a Secret outside SECRET_KEYS unless `keepAllData` (an
 * auth-map Secret: one key per user). `droppedData`: Secret data was left out. The parts kept are shared with
 * `object`, which is not changed.
 */
export function trimmed(
  object: KubernetesObject,
  kind: string,
  keepAllData: boolean,
): { object: KubernetesObject; droppedData: boolean } {
  let droppedData = false;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || (key === 'status' && kind === 'Service')) continue;
    if (key === 'metadata')
      copy[key] = trimmedMetadata(value as NonNullable<KubernetesObject['metadata']>, kind === 'Ingress');
    else if (key === 'spec' && kind === 'Service') copy[key] = serviceSpec(value as V1ServiceSpec);
    else if (key === 'endpoints' && kind === 'EndpointSlice')
      copy[key] = trimmedEndpoints(value as V1Endpoint[]);
    else if ((key === 'data' || key === 'stringData') && kind === 'Secret' && !keepAllData) {
      const data = value as Record<string, string>;
      const kept = Object.entries(data).filter(([k]) => SECRET_KEYS.has(k));
      if (kept.length < Object.keys(data).length) droppedData = true;
      copy[key] = Object.fromEntries(kept);
    } else copy[key] = value;
  }
  // List items come without kind: every cached object says what it is.
  copy['kind'] ??= kind;
  return { object: copy, droppedData };
}

function trimmedMetadata(
  metadata: NonNullable<KubernetesObject['metadata']>,
  keepUid: boolean,
): NonNullable<KubernetesObject['metadata']> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined || DROPPED_METADATA.has(key) || (key === 'uid' && !keepUid)) continue;
    const annotations = value as Record<string, string>;
    copy[key] =
      key === 'annotations' && Object.hasOwn(annotations, LAST_APPLIED)
        ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED))
        : value;
  }
  return copy;
}

function serviceSpec(spec: V1ServiceSpec): V1ServiceSpec {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec))
    if (value !== undefined && SERVICE_SPEC_KEYS.has(key)) copy[key] = value;
  return copy;
}

/**
 * What an EndpointSlice says of each endpoint besides its addresses and conditions (the pod and node behind
 * it, where they run, topology hints): never read, and a few hundred bytes of heap per endpoint.
 */
function trimmedEndpoints(endpoints: readonly V1Endpoint[] | null): V1Endpoint[] | null {
  return (
    endpoints?.map((e) =>
      e.conditions === undefined
        ? { addresses: e.addresses }
        : { addresses: e.addresses, conditions: e.conditions },
    ) ?? null
  );
}

/**
 * `now` with what translate reads taken from `before`, an earlier copy of the same object with the same
 * content fingerprint (content-fingerprint.ts), so the two share it: `now`'s status and metadata
 * bookkeeping, `before`'s spec, data, labels and annotations. Neither object is changed.
 */
export function withContentOf(before: KubernetesObject, now: KubernetesObject): KubernetesObject {
  const earlier = before as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(now)) {
    copy[key] = key === 'status' || key === 'metadata' || !Object.hasOwn(earlier, key) ? value : earlier[key];
  }
  if (now.metadata !== undefined) {
    const metadata: Record<string, unknown> = { ...now.metadata };
    for (const key of ['labels', 'annotations'] as const) {
      if (metadata[key] !== undefined && before.metadata?.[key] !== undefined)
        metadata[key] = before.metadata[key];
    }
    copy['metadata'] = metadata;
  }
  return copy;
}

/** `namespace/name` of every Secret an Ingress names as an auth-map (all its keys are users). */
export function authMapSecrets(ingresses: readonly KubernetesObject[]): Set<string> {
  const wanted = new Set<string>();
  for (const ingress of ingresses as V1Ingress[]) {
    const annotations = ingress.metadata?.annotations;
    const name = annotations?.[AUTH_SECRET];
    if (name === undefined || annotations?.[AUTH_SECRET_TYPE] !== 'auth-map') continue;
    wanted.add(name.includes('/') ? name : secretKey(ingress.metadata?.namespace, name));
  }
  return wanted;
}
