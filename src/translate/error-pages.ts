import type { ErrorsAnnotations } from '../annotations/errors.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Diagnostic } from '../model/diagnostics.ts';
import type { Action, ErrorLocation, ErrorPages } from '../model/nginx.ts';
import type { ParsedIngress, ServiceBackendRef } from './ingress-parse.ts';

/** Resolves a Service (its first port) of a namespace into what NGINX does with it. */
export type ResolveService = (
  namespace: string,
  service: string,
  ingress: ParsedIngress,
  field: string,
) => Action;

/**
 * custom-http-errors and default-backend for the locations of one server, as ingress-nginx has them:
 * the listed codes (from the pods too) go to a named location that asks the error backend — the Ingress's
 * default-backend Service, else --default-backend-service — for `/`, telling it the code and what was
 * asked (X-Code, X-Format, X-Original-URI, X-Namespace, …). With default-backend, NGINX's own 503 (a
 * Service without a ready endpoint) goes there as well.
 */
export class ErrorPagesBuilder {
  private readonly named = new Map<string, ErrorLocation>();
  private readonly resolveService: ResolveService;
  private readonly globalDefault: Action;
  private readonly report: (d: Diagnostic) => void;

  constructor(resolveService: ResolveService, globalDefault: Action, report: (d: Diagnostic) => void) {
    this.resolveService = resolveService;
    this.globalDefault = globalDefault;
    this.report = report;
  }

  forPath(
    ingress: ParsedIngress,
    errors: ErrorsAnnotations | undefined,
    backend: ServiceBackendRef,
  ): ErrorPages | undefined {
    if (errors === undefined || (errors.codes === undefined && errors.defaultBackend === undefined))
      return undefined;
    const target =
      errors.defaultBackend === undefined
        ? this.globalDefault
        : this.resolveService(
            ingress.ref.namespace,
            errors.defaultBackend,
            ingress,
            `metadata.annotations[${ANNOTATION_PREFIX}default-backend]`,
          );
    if (target.kind !== 'proxy') {
      if (errors.defaultBackend === undefined)
        this.report({
          severity: 'warning',
          object: ingress.ref,
          field: `metadata.annotations[${ANNOTATION_PREFIX}custom-http-errors]`,
          reason:
            'ignored: there is no default backend to serve the error pages (set default-backend or --default-backend-service)',
        });
      return undefined;
    }
    const codes = [
      ...new Set([...(errors.codes ?? []), ...(errors.defaultBackend === undefined ? [] : [503])]),
    ].sort((a, b) => a - b);
    const pages = codes.map((code) => {
      const name = `gatehouse_error_${target.upstream}_${code}`;
      this.named.set(name, { name, code, upstream: target.upstream });
      return { code, location: name };
    });
    return {
      intercept: errors.codes !== undefined,
      pages,
      namespace: ingress.ref.namespace,
      ingress: ingress.ref.name,
      service: backend.service,
      servicePort: 'number' in backend.port ? String(backend.port.number) : backend.port.name,
    };
  }

  /** The named locations the server needs, sorted. */
  locations(): ErrorLocation[] {
    return [...this.named.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
