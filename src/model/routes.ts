/**
 * Where a location came from, for the people and metrics that ask. Every location in the NGINX model names
 * one route by its index in `TranslateResult.routes`; the locations that implement one Ingress path (a
 * Prefix path gives `= /foo` and `/foo/`) share it. Strings are empty where a route has no such part: the
 * catch-all `/` of a host without a default backend has no Ingress, path or Service.
 */
export interface Route {
  /** The server's host as written in the Ingress; empty for the default server (unknown hosts). */
  readonly host: string;
  readonly namespace: string;
  /** The Ingress that owns the location. */
  readonly ingress: string;
  /** The path as written in the Ingress; empty for a default backend or the host's catch-all. */
  readonly path: string;
  /** `Exact`, `Prefix` or `ImplementationSpecific`; empty when not from a path rule. */
  readonly pathType: string;
  /** The Ingress field it came from: `spec.rules[0].http.paths[1]`, `spec.defaultBackend`, or empty. */
  readonly field: string;
  readonly service: string;
  /** The Service port as written: a number or a port name. */
  readonly servicePort: string;
}

/** A route with no part: what a request that reached no location (or an unknown route) counts under. */
export const NO_ROUTE: Route = {
  host: '',
  namespace: '',
  ingress: '',
  path: '',
  pathType: '',
  field: '',
  service: '',
  servicePort: '',
};
