import type { V1Ingress } from '@kubernetes/client-node';
import type { Diagnostic } from '../model/diagnostics.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { ingressRef, LEGACY_CLASS_ANNOTATION } from '../translate/ingress-parse.ts';
import { translate, type TranslateOptions } from '../translate/translate.ts';

export interface ReviewResult {
  readonly allowed: boolean;
  /** Why it was denied: the same sentences the reconciler would log and post as Events. */
  readonly message: string;
  /** Non-fatal findings, shown by kubectl as warnings. */
  readonly warnings: readonly string[];
}

/** Created objects have no creationTimestamp yet; they are the newest, so they lose every conflict. */
const NEWEST = '9999-12-31T23:59:59Z';

/**
 * The admission check: runs the reconciler's own pure translate on the current snapshot with the incoming
 * Ingress in place, and denies what the reconciler would reject. No NGINX, no I/O, nothing executed from
 * the request (ingress-nginx's CVE-2025-1974 came from running `nginx -t` on request content).
 */
export function reviewIngress(
  snapshot: Snapshot,
  options: Omit<TranslateOptions, 'excluded'>,
  incoming: V1Ingress,
): ReviewResult {
  const ref = ingressRef(incoming);
  const className = incoming.spec?.ingressClassName;
  if (typeof className === 'string' && !snapshot.ingressClasses.some((c) => c.metadata?.name === className)) {
    return {
      allowed: false,
      message: `spec.ingressClassName: IngressClass ${className.slice(0, 253)} does not exist`,
      warnings: [],
    };
  }
  const existing = snapshot.ingresses.find(
    (i) => i.metadata?.namespace === ref.namespace && i.metadata.name === ref.name,
  );
  const candidate: V1Ingress = {
    ...incoming,
    metadata: {
      ...incoming.metadata,
      namespace: ref.namespace,
      creationTimestamp: (existing?.metadata?.creationTimestamp ??
        incoming.metadata?.creationTimestamp ??
        NEWEST) as Date,
    },
  };
  // Only the Ingresses that share a host with this one can conflict with it: translating just those keeps
  // a review's cost independent of the cluster's size.
  const hosts = hostsOf(candidate);
  const neighbours = snapshot.ingresses.filter(
    (i) =>
      !(i.metadata?.namespace === ref.namespace && i.metadata.name === ref.name) &&
      [...hostsOf(i)].some((h) => hosts.has(h)),
  );
  const result = translate(
    { ...snapshot, ingresses: [...neighbours, candidate], diagnostics: [] },
    { ...options, excluded: new Map() },
  );
  const outcome = result.ingresses.find((i) => i.ref.namespace === ref.namespace && i.ref.name === ref.name);
  if (outcome === undefined) {
    // Not ours (another controller's class, or no class and we are not the default): nothing to check.
    const legacy = incoming.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
    return {
      allowed: true,
      message:
        legacy === undefined ? 'not handled by this controller' : 'class belongs to another controller',
      warnings: [],
    };
  }
  const mine = result.diagnostics.filter(
    (d) => d.object.kind === 'Ingress' && d.object.namespace === ref.namespace && d.object.name === ref.name,
  );
  const fatal = mine.filter((d) => d.severity === 'error' || d.conflict === true);
  const describe = (d: Diagnostic): string => (d.field === '' ? d.reason : `${d.field}: ${d.reason}`);
  if (fatal.length > 0) {
    return { allowed: false, message: fatal.map(describe).join('; ').slice(0, 4096), warnings: [] };
  }
  return { allowed: true, message: '', warnings: mine.map(describe).map((w) => w.slice(0, 512)) };
}

/** The hosts an Ingress's rules name (`''` for rules without a host), read without validating anything. */
function hostsOf(ingress: V1Ingress): Set<string> {
  const rules = Array.isArray(ingress.spec?.rules) ? ingress.spec.rules : [];
  return new Set(rules.map((r) => (typeof r.host === 'string' ? r.host : '')));
}
