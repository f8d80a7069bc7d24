import type { CanaryAnnotations } from '../annotations/canary.ts';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import type { Action, CanaryRoute } from '../model/nginx.ts';
import type { ParsedIngress, ParsedPath, ServiceBackendRef } from './ingress-parse.ts';

/** A canary Ingress's path, attached to the main Ingress's path it shares traffic with. */
export interface CanaryAttachment {
  readonly ingress: ParsedIngress;
  readonly path: ParsedPath;
  readonly settings: CanaryAnnotations;
}

/** A path some main Ingress serves, as translate claimed it. */
export interface MainPath {
  readonly owner: { readonly ingress: ParsedIngress };
}

/**
 * Attaches each path of each canary Ingress (`canary: "true"`, oldest first) to the main path that serves the same host and
 * path, as ingress-nginx does. A canary only joins a main Ingress of its own namespace (another tenant's
 * path is as absent to it as a missing one, and the message does not say which); a path that already has
 * a canary keeps the older one. Every path that attaches nowhere is reported on the canary.
 */
export function attachCanaries<
  C extends MainPath,
  E extends { readonly ingress: ParsedIngress; readonly settings: { readonly canary?: CanaryAnnotations } },
>(
  contributions: readonly E[],
  mainPath: (host: string, path: ParsedPath, canary: E) => C | undefined,
  report: (d: Diagnostic) => void,
  olderIngress: (winner: ObjectRef, loser: ObjectRef) => string,
): Map<C, CanaryAttachment> {
  const attached = new Map<C, CanaryAttachment>();
  for (const contribution of contributions) {
    const { ingress } = contribution;
    const settings = contribution.settings.canary;
    if (settings?.enabled !== true) continue;
    const warn = (field: string, reason: string): void =>
      report({ severity: 'warning', object: ingress.ref, field, reason });
    if (ingress.defaultBackend !== undefined)
      warn('spec.defaultBackend', 'a canary Ingress adds no routes; its defaultBackend is not used');
    for (const rule of ingress.rules)
      for (const path of rule.paths) {
        const where = `host ${rule.host === '' ? '(any)' : rule.host} path ${path.path}`;
        const main = mainPath(rule.host, path, contribution);
        if (main === undefined || main.owner.ingress.ref.namespace !== ingress.ref.namespace) {
          warn(
            `${path.field}.path`,
            `canary: no Ingress in namespace ${ingress.ref.namespace} serves ${where} (${path.pathType}); this canary takes no traffic there`,
          );
          continue;
        }
        const holder = attached.get(main);
        if (holder !== undefined) {
          warn(
            `${path.field}.path`,
            `canary: ${where} already has the canary of ${olderIngress(holder.ingress.ref, ingress.ref)}; this canary takes no traffic there`,
          );
          continue;
        }
        attached.set(main, { ingress, path, settings });
      }
  }
  return attached;
}

type ResolveAction = (
  namespace: string,
  ref: ServiceBackendRef,
  who: ObjectRef,
  field: string,
  options: { readonly unavailable: string },
) => Action;

/**
 * The main path's action with its canary: the canary's backend and traffic policy. The main action must
 * proxy (a redirect or a missing Service has no traffic to share); a canary whose Service
 * cannot be reached is reported by `resolve` and takes no traffic.
 */
export function withCanary(
  action: Action,
  attachment: CanaryAttachment | undefined,
  resolve: ResolveAction,
): Action {
  if (attachment === undefined || action.kind !== 'proxy') return action;
  const { ingress, path, settings } = attachment;
  const canary = resolve(ingress.ref.namespace, path.backend, ingress.ref, `${path.field}.backend`, {
    unavailable: 'the canary takes no traffic',
  });
  if (canary.kind !== 'proxy') return action;
  const route: CanaryRoute = {
    backend: canary.upstream,
    weight: settings.weight,
    weightTotal: settings.weightTotal,
    ...(settings.header !== undefined && { header: settings.header }),
    ...(settings.headerValue !== undefined && { headerValue: settings.headerValue }),
    ...(settings.headerPattern !== undefined && { headerPattern: settings.headerPattern }),
    ...(settings.cookie !== undefined && { cookie: settings.cookie }),
    ...(settings.legacyAffinity === true && { legacyAffinity: true as const }),
  };
  return { ...action, canary: route };
}
