import type { KubernetesObject } from '@kubernetes/client-node';

// What of an object a Snapshot's readers read: all of it but `status`, the type fields and the metadata
// bookkeeping. Most updates at scale are the leader's own status writes echoing back through the watch, one
// per Ingress, to every replica: they change nothing here. Used by the kube source (which updates make a
// Snapshot: kube-source.ts) and by the endpoint fast path (is a new copy of an object the same?).

/** Fixed by the informer an object comes from; a typed list leaves them out of its items. */
export const TYPE_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind']);
/** Metadata the API server changes on writes of any kind: never read by translate. */
export const BOOKKEEPING: ReadonlySet<string> = new Set(['resourceVersion', 'managedFields', 'generation']);
/** Metadata timestamps: a Date in a typed list, an RFC 3339 string in a watch event. */
export const TIMESTAMPS: ReadonlySet<string> = new Set(['creationTimestamp', 'deletionTimestamp']);

/** A metadata timestamp in whole seconds, whether a Date or an RFC 3339 string. */
export function timestampSeconds(value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  return Math.floor(ms / 1000);
}

/**
 * Whether two copies of an object are the same in what a Snapshot's readers read (see above): a status
 * write's echo is the same as the copy before it. Keys in any order; an undefined value counts as absent.
 * Parts two copies share (a source hands unchanged parts on as the same objects) are not walked.
 */
export function sameContent(a: KubernetesObject, b: KubernetesObject): boolean {
  if (a === b) return true;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const skip = (key: string): boolean => key === 'status' || TYPE_FIELDS.has(key);
  for (const key of keysOf(x, y)) {
    if (skip(key)) continue;
    if (key === 'metadata' ? !sameMetadata(x[key], y[key]) : !sameValue(x[key], y[key])) return false;
  }
  return true;
}

function sameMetadata(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isRecord(a) || !isRecord(b)) return false;
  for (const key of keysOf(a, b)) {
    if (BOOKKEEPING.has(key)) continue;
    const [u, v] = [a[key], b[key]];
    if (TIMESTAMPS.has(key) && u !== undefined && v !== undefined) {
      if (timestampSeconds(u) !== timestampSeconds(v)) return false;
    } else if (!sameValue(u, v)) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
    );
  if (!isRecord(a) || !isRecord(b)) return false;
  for (const key of keysOf(a, b)) if (!sameValue(a[key], b[key])) return false;
  return true;
}

/** The keys of either record whose value is not undefined. */
function keysOf(a: Record<string, unknown>, b: Record<string, unknown>): Set<string> {
  const keys = new Set<string>();
  for (const r of [a, b]) for (const [k, v] of Object.entries(r)) if (v !== undefined) keys.add(k);
  return keys;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}
