import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { refKey } from '../model/diagnostics.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** The object of the snapshot that a refKey (`Ingress ns/name`) names, for the kinds translate reads. */
export function findObject(snapshot: Snapshot, key: string): KubernetesObject | undefined {
  const kind = key.slice(0, key.indexOf(' '));
  const lists: Record<string, readonly KubernetesObject[]> = {
    Ingress: snapshot.ingresses,
    Service: snapshot.services,
    Secret: snapshot.secrets,
    ConfigMap: snapshot.configMaps,
  };
  return lists[kind]?.find(
    (o) =>
      refKey({ kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' }) === key,
  );
}

/**
 * Each Ingress's creation time as RFC 3339, by refKey (empty when unknown, as in folder mode: counts as
 * oldest).
 */
export function ingressAges(snapshot: Snapshot): Map<string, string> {
  const ages = new Map<string, string>();
  for (const ing of snapshot.ingresses) {
    const ref = {
      kind: 'Ingress',
      namespace: ing.metadata?.namespace ?? 'default',
      name: ing.metadata?.name ?? '',
    };
    const t = ing.metadata?.creationTimestamp as unknown;
    const date = t instanceof Date ? t : typeof t === 'string' ? new Date(t) : undefined;
    ages.set(refKey(ref), date === undefined || Number.isNaN(date.getTime()) ? '' : date.toISOString());
  }
  return ages;
}

/** What an object says (not its bookkeeping): equal fingerprints, same config. */
export function fingerprintOf(object: KubernetesObject): string {
  const o = object as KubernetesObject & {
    spec?: unknown;
    data?: unknown;
    stringData?: unknown;
    type?: unknown;
  };
  return createHash('sha256')
    .update(
      JSON.stringify([o.metadata?.annotations, o.metadata?.labels, o.spec, o.data, o.stringData, o.type]),
    )
    .digest('hex');
}
