import type { KubernetesObject, V1Endpoint, V1Ingress, V1Secret } from '@kubernetes/client-node';

// What the informer caches keep of each object: only what translate reads. Objects are trimmed in place as
// they arrive (the informer's cache holds the very object its event handlers get), so the parts dropped
// here never outlive the list or watch event that brought them.

/** The Secret keys translate reads: certificates and keys, CA bundles and CRLs, htpasswd files. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['tls.crt', 'tls.key', 'ca.crt', 'ca.crl', 'auth']);

/** kubectl's copy of the whole object as last applied: never read, often as large as the object itself. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

// Read here (sources may not import the annotation registry) to find the Secrets whose every key counts.
const AUTH_SECRET = 'nginx.ingress.kubernetes.io/auth-secret';
const AUTH_SECRET_TYPE = 'nginx.ingress.kubernetes.io/auth-secret-type';

export const secretKey = (namespace: string | undefined, name: string | undefined): string =>
  `${namespace ?? ''}/${name ?? ''}`;

/**
 * Drops what translate never reads: `managedFields`, `ownerReferences`, kubectl's last-applied copy, the
 * pods and nodes behind an EndpointSlice's endpoints, and the data of a Secret outside SECRET_KEYS unless
 * `keepAllData` (an auth-map Secret: one key per user). Returns true when Secret data was dropped.
 */
export function trimObject(object: KubernetesObject, keepAllData: boolean): boolean {
  const metadata = object.metadata;
  if (metadata !== undefined) {
    delete metadata.managedFields;
    delete metadata.ownerReferences;
    const annotations = metadata.annotations;
    if (annotations !== undefined && Object.hasOwn(annotations, LAST_APPLIED))
      metadata.annotations = Object.fromEntries(
        Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED),
      );
  }
  // What an EndpointSlice says of each endpoint besides its addresses and conditions (the pod and node
  // behind it, where they run): never read, and a few hundred bytes of heap per endpoint.
  const endpoints =
    object.kind === 'EndpointSlice' ? (object as { endpoints?: V1Endpoint[] | null }).endpoints : null;
  for (const endpoint of endpoints ?? []) {
    delete endpoint.targetRef;
    delete endpoint.nodeName;
    delete endpoint.zone;
    delete endpoint.hints;
    delete endpoint.deprecatedTopology;
  }
  if (object.kind !== 'Secret' || keepAllData) return false;
  const secret = object as V1Secret;
  let dropped = false;
  for (const field of ['data', 'stringData'] as const) {
    const data = secret[field];
    if (data === undefined) continue;
    const kept = Object.entries(data).filter(([key]) => SECRET_KEYS.has(key));
    if (kept.length === Object.keys(data).length) continue;
    secret[field] = Object.fromEntries(kept);
    dropped = true;
  }
  return dropped;
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
