import type { V1Ingress } from '@kubernetes/client-node';

// Sources never change an object in place, but an update that changes nothing translate reads (the
// leader's status writes echoing back, to every replica) arrives as a new object that shares its spec,
// labels and annotations with the copy before it (src/sources/kube/trim.ts withContentOf). Kept by the
// object, every such copy was a new Ingress to translate: after a status pass at 10,000 Ingresses, the
// next change judged and parsed every Ingress again, and translate's memo built every host again (a whole
// build beside the served one, as at start). So what translate makes of an Ingress is kept under its spec
// object, with the rest of what it reads of it (name, namespace, the annotations object, the creation
// time) compared on each read.

/** What translate reads of an Ingress besides its spec. */
type Reads = readonly [unknown, unknown, unknown, string];

/** Values kept per Ingress content (see above); a value lives as long as the Ingress's spec. */
export class ByIngressContent<V> {
  private readonly entries = new WeakMap<object, { readonly reads: Reads; readonly value: V }>();

  get(ingress: V1Ingress): V | undefined {
    const entry = this.entries.get(keyOf(ingress));
    if (entry === undefined) return undefined;
    const reads = readsOf(ingress);
    return entry.reads.every((r, i) => r === reads[i]) ? entry.value : undefined;
  }

  set(ingress: V1Ingress, value: V): void {
    this.entries.set(keyOf(ingress), { reads: readsOf(ingress), value });
  }
}

/** The spec object; the Ingress itself when it has none (an invalid one). */
function keyOf(ingress: V1Ingress): object {
  const spec: unknown = ingress.spec;
  return typeof spec === 'object' && spec !== null ? spec : ingress;
}

function readsOf(ingress: V1Ingress): Reads {
  const m = ingress.metadata;
  // A Date from a typed client, or the API's string: translate reads it to the second either way.
  return [m?.name, m?.namespace, m?.annotations, String(m?.creationTimestamp)];
}
