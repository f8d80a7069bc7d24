import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import {
  ANNOTATION_PREFIX,
  FAMILIES,
  IGNORED_TUNING,
  RETIRED,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
  RISK_LEVELS,
  UNSUPPORTED_ROUTING,
  lookupAnnotation,
  type IngressAnnotations,
  type Risk,
} from './registry.ts';

export interface AnnotationResult {
  readonly settings: IngressAnnotations;
  /** Errors reject the Ingress; warnings (ignored keys) are only reported. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Why a key the registry does not implement is refused or ignored; undefined for a key it implements. */
function unsupported(
  name: string,
  policy: AnnotationPolicy,
): Pick<Diagnostic, 'severity' | 'reason'> | undefined {
  // Every `*-snippet` key is a snippet, as in ingress-nginx.
  if (name.endsWith('-snippet')) {
    if (!policy.allowSnippets)
      return {
        severity: 'error',
        reason:
          'snippet annotations are disabled: they would paste raw configuration (ConfigMap allow-snippet-annotations)',
      };
    if (SNIPPET_ANNOTATIONS.includes(name) || lookupAnnotation(name) === undefined)
      return {
        severity: 'error',
        reason: 'this snippet annotation is not supported, even with allow-snippet-annotations',
      };
    return undefined;
  }
  if (UNSUPPORTED_ACCESS_CONTROL.includes(name))
    return {
      severity: 'error',
      reason:
        'this access-control annotation is not supported yet; the Ingress is not served rather than served unprotected',
    };
  if (UNSUPPORTED_ROUTING.includes(name))
    return {
      severity: 'error',
      reason:
        'this annotation changes how requests are routed and is not supported yet; the Ingress is not served rather than served differently',
    };
  if (IGNORED_TUNING.includes(name))
    return { severity: 'warning', reason: 'tuning annotation not supported; ignored, NGINX defaults apply' };
  if (Object.hasOwn(RETIRED, name)) return { severity: 'warning', reason: `ignored: ${RETIRED[name] ?? ''}` };
  if (lookupAnnotation(name) === undefined)
    return { severity: 'warning', reason: 'not an ingress-nginx annotation; ignored' };
  return undefined;
}

/** What the admin allows Ingresses to ask for (ConfigMap). */
export interface AnnotationPolicy {
  /** `annotations-risk-level`: annotations of a higher risk refuse the Ingress. */
  readonly maxRisk: Risk;
  /**
   * `allow-snippet-annotations`: snippet annotations are read at all (each still checked by its parser, and
   * Critical, so `annotations-risk-level` must allow it too).
   */
  readonly allowSnippets: boolean;
}

export const DEFAULT_ANNOTATION_POLICY: AnnotationPolicy = { maxRisk: 'High', allowSnippets: false };

/** Reads an Ingress's `nginx.ingress.kubernetes.io/*` annotations through the registry. Pure. */
export function parseAnnotations(
  ref: ObjectRef,
  annotations: Readonly<Record<string, string>>,
  policy: AnnotationPolicy = DEFAULT_ANNOTATION_POLICY,
): AnnotationResult {
  const diagnostics: Diagnostic[] = [];
  const field = (name: string): string => `metadata.annotations[${ANNOTATION_PREFIX}${name}]`;
  // Canonical key → raw value, per family; and the name each canonical key was written as.
  const byFamily = new Map<string, Map<string, string>>();
  const writtenAs = new Map<string, string>();
  for (const key of Object.keys(annotations).sort()) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const refused = unsupported(name, policy);
    if (refused !== undefined) {
      diagnostics.push({ ...refused, object: ref, field: field(name) });
      continue;
    }
    const spec = lookupAnnotation(name);
    if (spec === undefined) continue;
    if (RISK_LEVELS.indexOf(spec.risk) > RISK_LEVELS.indexOf(policy.maxRisk)) {
      diagnostics.push({
        severity: 'error',
        object: ref,
        field: field(name),
        reason: `this annotation's risk level is ${spec.risk}, above the ${policy.maxRisk} the controller accepts (ConfigMap annotations-risk-level)`,
      });
      continue;
    }
    if (spec.aliasOf !== undefined && Object.hasOwn(annotations, ANNOTATION_PREFIX + spec.aliasOf)) {
      diagnostics.push({
        severity: 'warning',
        object: ref,
        field: field(name),
        reason: `ignored: ${spec.aliasOf} is also set and takes precedence`,
      });
      continue;
    }
    let values = byFamily.get(spec.family);
    if (values === undefined) byFamily.set(spec.family, (values = new Map<string, string>()));
    values.set(spec.aliasOf ?? name, annotations[key] ?? '');
    writtenAs.set(spec.aliasOf ?? name, name);
  }
  const settings: Record<string, unknown> = {};
  for (const family of FAMILIES) {
    const values = byFamily.get(family.concern);
    if (values === undefined) continue;
    const parsed = family.parse(values, ref.namespace);
    for (const p of parsed.problems)
      diagnostics.push({
        severity: p.severity,
        object: ref,
        field: field(writtenAs.get(p.key) ?? p.key),
        reason: p.reason,
      });
    if (parsed.settings !== undefined) settings[family.concern] = parsed.settings;
  }
  // Each family wrote its own concern's settings, the type IngressAnnotations is derived from.
  return { settings, diagnostics };
}
