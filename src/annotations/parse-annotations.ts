import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import {
  ANNOTATION_PREFIX,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
  lookupAnnotation,
  type AnnotationSettings,
} from './registry.ts';

export interface AnnotationResult {
  readonly settings: AnnotationSettings;
  /** Errors reject the Ingress; warnings (unknown keys) are only reported. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Reads an Ingress's `nginx.ingress.kubernetes.io/*` annotations through the registry. Pure. */
export function parseAnnotations(
  ref: ObjectRef,
  annotations: Readonly<Record<string, string>>,
): AnnotationResult {
  const diagnostics: Diagnostic[] = [];
  let settings: AnnotationSettings = {};
  for (const key of Object.keys(annotations).sort()) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const field = `metadata.annotations[${key}]`;
    if (SNIPPET_ANNOTATIONS.includes(name)) {
      diagnostics.push({
        severity: 'error',
        object: ref,
        field,
        reason: 'snippet annotations are disabled: they would paste raw NGINX configuration',
      });
      continue;
    }
    if (UNSUPPORTED_ACCESS_CONTROL.includes(name)) {
      diagnostics.push({
        severity: 'error',
        object: ref,
        field,
        reason:
          'this access-control annotation is not supported yet; the Ingress is not served rather than served unprotected',
      });
      continue;
    }
    const spec = lookupAnnotation(name);
    if (spec === undefined) {
      diagnostics.push({
        severity: 'warning',
        object: ref,
        field,
        reason: 'annotation is not supported and was ignored',
      });
      continue;
    }
    if (spec.aliasOf !== undefined && Object.hasOwn(annotations, ANNOTATION_PREFIX + spec.aliasOf)) {
      // Otherwise the old name, sorting after the new one, would silently override it.
      diagnostics.push({
        severity: 'warning',
        object: ref,
        field,
        reason: `ignored: ${spec.aliasOf} is also set and takes precedence`,
      });
      continue;
    }
    const parsed = spec.parse(annotations[key] ?? '');
    if (parsed.ok) settings = { ...settings, ...parsed.settings };
    else diagnostics.push({ severity: 'error', object: ref, field, reason: parsed.reason });
  }
  return { settings, diagnostics };
}
