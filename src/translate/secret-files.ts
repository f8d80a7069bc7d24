import type { V1Secret } from '@kubernetes/client-node';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import { cmp, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';

/** What reading the Secret an Ingress names gave: its settings and the files they need, or why not. */
export type SecretFilesResult<S, F> =
  | {
      readonly ok: true;
      readonly settings: S;
      readonly files: readonly F[];
      readonly secret?: ObjectRef;
    }
  | { readonly ok: false; readonly reason: string; readonly secret?: ObjectRef };

/** Reads the Secret `wanted` names in `namespace` into settings and files. Pure. */
export type SecretReader<W, S, F> = (
  namespace: string,
  wanted: W,
  secrets: readonly V1Secret[],
) => SecretFilesResult<S, F>;

/**
 * Settings that come with files made from a Secret of the Ingress's namespace (htpasswd files, TLS to the
 * pods): read once per Ingress, files kept once per name, each unusable Secret reported once per Ingress
 * on the annotation that names it. A denied setting makes the Ingress's paths answer 503.
 */
export class SecretFiles<W, S, F extends { readonly fileName: string }> {
  private readonly byIngress = new Map<string, S | { denied: string }>();
  private readonly fileMap = new Map<string, F>();
  private readonly used = new Map<string, ObjectRef>();
  /** The annotation that names the Secret, for the warning's field. */
  private readonly annotation: string;
  private readonly read: SecretReader<W, S, F>;
  private readonly secretList: readonly V1Secret[];
  private readonly report: (d: Diagnostic) => void;

  constructor(
    annotation: string,
    read: SecretReader<W, S, F>,
    secrets: readonly V1Secret[],
    report: (d: Diagnostic) => void,
  ) {
    this.annotation = annotation;
    this.read = read;
    this.secretList = secrets;
    this.report = report;
  }

  /** The settings of the Ingress's locations, or why they are denied (its paths then answer 503). */
  resolve(ingress: ObjectRef, wanted: W): S | { denied: string } {
    const key = `${ingress.namespace}/${ingress.name}`;
    const known = this.byIngress.get(key);
    if (known !== undefined) return known;
    const result = this.read(ingress.namespace, wanted, this.secretList);
    if (result.secret !== undefined)
      this.used.set(`${result.secret.namespace}/${result.secret.name}`, result.secret);
    let outcome: S | { denied: string };
    if (result.ok) {
      for (const f of result.files) this.fileMap.set(f.fileName, f);
      outcome = result.settings;
    } else {
      this.report({
        severity: 'warning',
        object: ingress,
        field: `metadata.annotations[${ANNOTATION_PREFIX}${this.annotation}]`,
        reason: `${result.reason}; its paths answer 503 until it is fixed`,
      });
      outcome = { denied: result.reason };
    }
    this.byIngress.set(key, outcome);
    return outcome;
  }

  /** The settings every Ingress got (denials left out), in no particular order. */
  settings(): S[] {
    return [...this.byIngress.values()].filter((s): s is S => !isDenied(s));
  }

  files(): F[] {
    return [...this.fileMap.values()].sort((a, b) => cmp(a.fileName, b.fileName));
  }

  /** The Secrets whose content reached the model. */
  secrets(): ObjectRef[] {
    return [...this.used.values()];
  }
}

function isDenied(s: unknown): s is { denied: string } {
  return typeof s === 'object' && s !== null && 'denied' in s;
}
