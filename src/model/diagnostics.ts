/** A reference to the Kubernetes object (or manifest file) a diagnostic is about. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export type Severity = 'error' | 'warning';

/**
 * Why some user input was rejected or changed. Diagnostics replace exceptions for bad user input: they
 * become a log line, a Warning Event and a metric, and everything else keeps serving.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly object: ObjectRef;
  /** The field path inside the object, e.g. `spec.rules[0].host`; empty when it is about the whole object. */
  readonly field: string;
  readonly reason: string;
  /**
   * Set when the object lost something to an older one (a host, path or certificate): a `Conflict` Event,
   * and a refusal at admission.
   */
  readonly conflict?: true;
}

export function refKey(ref: ObjectRef): string {
  return ref.namespace === '' ? `${ref.kind}/${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.field === '' ? '' : ` ${d.field}:`;
  return `${d.severity}: ${refKey(d.object)}:${where} ${d.reason}`;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    cmp(a.object.kind, b.object.kind) ||
    cmp(a.object.namespace, b.object.namespace) ||
    cmp(a.object.name, b.object.name) ||
    cmp(a.field, b.field) ||
    cmp(a.reason, b.reason)
  );
}

/** Sorted diagnostics without repeats (equal by `compareDiagnostics`): how translate hands them out. */
export function sortedDiagnostics(list: Diagnostic[]): Diagnostic[] {
  list.sort(compareDiagnostics);
  return list.filter((d, i) => {
    const previous = list[i - 1];
    return previous === undefined || compareDiagnostics(d, previous) !== 0;
  });
}

/** Code-unit string order: stable across locales, which `localeCompare` is not. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
