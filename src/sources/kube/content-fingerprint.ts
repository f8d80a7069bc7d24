import { createHash, type Hash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { BOOKKEEPING, TIMESTAMPS, TYPE_FIELDS, timestampSeconds } from '../../model/object-content.ts';

// Which updates are worth a new Snapshot. Most updates to Ingresses at scale are the leader's own status
// writes echoing back through the watch, one per Ingress, and every follower sees them too. Nothing that
// reads the Snapshot reads `status` (the status writer reads the informer cache itself), so an update that
// changes only status and bookkeeping would make every replica translate and render everything again for
// nothing (at 10,000 Ingresses: minutes of CPU and gigabytes of garbage).

/**
 * A digest of what translate may read of an object of one kind: all of it but `status`, the type fields and
 * the metadata bookkeeping. Keys are sorted and the metadata timestamps reduced to seconds, so an object
 * gives the same digest whether it came typed from a list (Dates, the client's key order) or raw from a
 * watch event. (`managedFields` is trimmed on arrival already; it is skipped here too so that the digest
 * does not depend on the order of the two.)
 */
export function contentFingerprint(object: KubernetesObject): string {
  const hash = createHash('sha1');
  const top = object as Record<string, unknown>;
  for (const key of Object.keys(top).sort()) {
    if (key === 'status' || TYPE_FIELDS.has(key) || top[key] === undefined) continue;
    hash.update(`${key}:`);
    if (key !== 'metadata') {
      feed(hash, top[key]);
      continue;
    }
    const metadata = top[key] as Record<string, unknown>;
    for (const field of Object.keys(metadata).sort()) {
      const value = metadata[field];
      if (BOOKKEEPING.has(field) || value === undefined) continue;
      hash.update(`${field}:`);
      if (TIMESTAMPS.has(field)) hash.update(String(timestampSeconds(value)));
      else feed(hash, value);
    }
  }
  return hash.digest('base64');
}

/** Canonical JSON of a plain value: sorted keys, undefined left out. */
function feed(hash: Hash, value: unknown): void {
  if (Array.isArray(value)) {
    hash.update('[');
    for (const item of value) {
      feed(hash, item);
      hash.update(',');
    }
    hash.update(']');
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    hash.update('{');
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      hash.update(`${JSON.stringify(key)}:`);
      feed(hash, v);
      hash.update(',');
    }
    hash.update('}');
  } else {
    hash.update(`${JSON.stringify(value)};`);
  }
}
