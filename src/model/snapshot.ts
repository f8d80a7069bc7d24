import type {
  V1ConfigMap,
  V1EndpointSlice,
  V1Ingress,
  V1IngressClass,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import type { Diagnostic } from './diagnostics.ts';

/**
 * Everything the controller knows about the cluster at one moment. Sources (a folder of manifests, or
 * informers) build it; `translate` reads it whole. Order inside the arrays carries no meaning. An object
 * is never changed once it is in a snapshot: a changed object is a new object (the endpoint fast path,
 * src/translate/endpoint-refresh.ts, takes the very same object for an unchanged one).
 */
export interface Snapshot {
  readonly ingresses: readonly V1Ingress[];
  readonly ingressClasses: readonly V1IngressClass[];
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
  readonly secrets: readonly V1Secret[];
  readonly configMaps: readonly V1ConfigMap[];
  /** Problems the source found while loading (unreadable files, unknown kinds, ...). */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * What the controller's resolver found for ExternalName target names (lowercase), by name. NGINX never
   * resolves names itself; a name missing here is still being resolved.
   */
  readonly externalNames?: ReadonlyMap<string, NameResolution>;
}

/** The addresses a DNS name resolved to, or why it did not resolve. */
export type NameResolution = { readonly addresses: readonly string[] } | { readonly error: string };
