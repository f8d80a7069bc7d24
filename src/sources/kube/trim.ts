import type {
  KubernetesObject,
  V1Endpoint,
  V1Ingress,
  V1IngressStatus,
  V1ServiceSpec,
} from '@kubernetes/client-node';

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
/**
 * What is read of an object's metadata besides its name and namespace: its resourceVersion (the informer
 * compares versions; status writes and the config history name them), and per kind: an Ingress's
 * annotations, creation time (the older Ingress wins a conflict) and uid (its Events name it), an
 * IngressClass's annotations (the default class), an EndpointSlice's Service label. Not labels, other
 * annotations, field owners, owner references, finalizers, generation: a few hundred bytes per object in a
 * real cluster (Helm and kubectl labels on every object, the EndpointSlice controller's annotations and
 * copies of the Service's labels).
 */
const METADATA_READ: Readonly<Record<string, ReadonlySet<string>>> = {
  Ingress: new Set(['name', 'namespace', 'resourceVersion', 'uid', 'creationTimestamp', 'annotations']),
  IngressClass: new Set(['name', 'namespace', 'resourceVersion', 'annotations']),
  EndpointSlice: new Set(['name', 'namespace', 'resourceVersion', 'labels']),
};
const METADATA_READ_OTHERWISE: ReadonlySet<string> = new Set(['name', 'namespace', 'resourceVersion']);
/**
 * What translate reads of a Service's spec (backends.ts, translate.ts): its type, address, external name and
 * ports. Not its IP families, selector, traffic policies or load balancer settings, nor its status.
 */
const SERVICE_SPEC_KEYS: ReadonlySet<string> = new Set(['type', 'clusterIP', 'externalName', 'ports']);

// Read here (sources may not import the annotation registry) to find the Secrets whose every key counts.
const AUTH_SECRET = 'nginx.ingress.kubernetes.io/auth-secret';
const AUTH_SECRET_TYPE = 'nginx.ingress.kubernetes.io/auth-secret-type';
/** The label naming an EndpointSlice's Service (translate's backends.ts reads it). */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const secretKey = (namespace: string | undefined, name: string | undefined): string =>
  `${namespace ?? ''}/${name ?? ''}`;

/**
 * A copy of `object` with only what translate reads: of its metadata, METADATA_READ (an EndpointSlice's
 * labels only its Service's, an Ingress's annotations without kubectl's last-applied copy); of a Service, its
 * spec's SERVICE_SPEC_KEYS and no status; of an EndpointSlice's endpoints, their addresses and conditions (not
 * the pods and nodes behind them); of an Ingress's status, its load balancer addresses; and of a Secret, the
 * data outside SECRET_KEYS only when `keepAllData` (an auth-map Secret: one key per user). Parts that many
 * objects have alike are shared (SharedParts). `droppedData`: Secret data was left out. The parts kept are
 * shared with `object`, which is not changed.
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
      copy[key] = trimmedMetadata(value as NonNullable<KubernetesObject['metadata']>, kind);
    else if (key === 'spec' && kind === 'Service') copy[key] = serviceSpec(value as V1ServiceSpec);
    else if (key === 'status' && kind === 'Ingress') copy[key] = ingressStatus(value as V1IngressStatus);
    else if (key === 'endpoints' && kind === 'EndpointSlice')
      copy[key] = trimmedEndpoints(value as V1Endpoint[]);
    else if (key === 'ports' && kind === 'EndpointSlice') copy[key] = SHARED.of(value);
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
  kind: string,
): NonNullable<KubernetesObject['metadata']> {
  const read = METADATA_READ[kind] ?? METADATA_READ_OTHERWISE;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined || !read.has(key)) continue;
    if (key === 'labels') {
      // Only an EndpointSlice's labels are read, and of them only the Service's name.
      const service = (value as Record<string, string>)[SERVICE_NAME_LABEL];
      if (service !== undefined) copy[key] = { [SERVICE_NAME_LABEL]: service };
    } else if (key === 'annotations' && Object.hasOwn(value as object, LAST_APPLIED)) {
      copy[key] = Object.fromEntries(
        Object.entries(value as Record<string, string>).filter(([k]) => k !== LAST_APPLIED),
      );
    } else copy[key] = value;
  }
  return copy;
}

function serviceSpec(spec: V1ServiceSpec): V1ServiceSpec {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec))
    if (value !== undefined && SERVICE_SPEC_KEYS.has(key))
      copy[key] = key === 'ports' ? SHARED.of(value) : value;
  return copy;
}

/** The status writer reads an Ingress's load balancer addresses: the leader writes the same on every one. */
function ingressStatus(status: V1IngressStatus): V1IngressStatus {
  return status.loadBalancer === undefined ? {} : SHARED.of({ loadBalancer: status.loadBalancer });
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
        : { addresses: e.addresses, conditions: SHARED.of(e.conditions) },
    ) ?? null
  );
}

/**
 * One copy of each small part that many cached objects have alike: an endpoint's conditions (50,000
 * `{ready: true, serving: true, terminating: false}` at 10,000 Services), an EndpointSlice's or a Service's
 * ports, the status the leader writes on every Ingress. Parts are compared as JSON; large ones are not
 * shared. Cached objects are never changed (sources hand on a new object for a change), so sharing is safe.
 * Bounded: when full, it starts again (objects cached before keep the copies they have).
 */
class SharedParts {
  private static readonly MAX_PARTS = 1024;
  private static readonly MAX_JSON = 512;
  private readonly parts = new Map<string, unknown>();

  of<T>(part: T): T {
    if (part === null || typeof part !== 'object') return part;
    const json = JSON.stringify(part);
    if (json.length > SharedParts.MAX_JSON) return part;
    const known = this.parts.get(json);
    if (known !== undefined) return known as T;
    if (this.parts.size >= SharedParts.MAX_PARTS) this.parts.clear();
    this.parts.set(json, part);
    return part;
  }
}

const SHARED = new SharedParts();

/**
 * `now` with what translate reads taken from `before`, an earlier copy of the same object with the same
 * content (src/model/object-content.ts sameContent), so the two share it: `now`'s status and metadata
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
