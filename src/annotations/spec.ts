import type { z } from 'zod';

/**
 * How an annotation family is declared. A family is one concern (proxy tuning, redirects, CORS, …): its
 * keys, each with a schema, scope, risk and docs, and one `build` that turns the validated values into the
 * concern's typed settings. `registry.ts` assembles the families; `parse-annotations.ts` runs them.
 */

export const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/**
 * ingress-nginx's risk levels, lowest first: Low for booleans, numbers and closed enums; Medium for
 * free-form values held to a narrow shape; High for values that can name other hosts or services;
 * Critical for raw configuration. The ConfigMap's `annotations-risk-level` caps what Ingresses may use.
 */
export const RISK_LEVELS = ['Low', 'Medium', 'High', 'Critical'] as const;
export type Risk = (typeof RISK_LEVELS)[number];

/**
 * What an annotation changes: `location` applies to the paths its Ingress contributes; `server` to the
 * whole host, which may be shared with other Ingresses (the oldest Ingress that sets it decides).
 */
export type Scope = 'server' | 'location';

/** One annotation key, in its family's `keys` record (the record key is the name without the prefix). */
export interface KeyDef<T> {
  /** Validates the raw string; the first issue's message becomes the diagnostic. */
  readonly schema: z.ZodType<T>;
  readonly risk: Risk;
  readonly scope: Scope;
  /** One sentence for the README table. */
  readonly description: string;
  readonly example: string;
  /** Older names for the same key; the current name wins when both are set. */
  readonly aliases?: readonly string[];
}

/** One row of the registry: a key or an alias, with its docs. Families produce these. */
export interface AnnotationSpec {
  /** The key without the `nginx.ingress.kubernetes.io/` prefix. */
  readonly name: string;
  readonly family: string;
  readonly risk: Risk;
  readonly scope: Scope;
  readonly description: string;
  readonly example: string;
  /** Set on an old name: the current name. */
  readonly aliasOf?: string;
}

export interface Problem {
  /** Annotation name without the prefix. */
  readonly key: string;
  readonly reason: string;
  /** Errors reject the Ingress; warnings are only reported. */
  readonly severity: 'error' | 'warning';
}

/** What `build` may use besides the values: the Ingress's namespace, and a way to report. */
export interface BuildContext {
  readonly namespace: string;
  /** Reports a problem that involves more than one key (or a key's value in context). */
  readonly report: (key: string, reason: string, severity?: 'error' | 'warning') => void;
}

/** The family's validated values by key name: a key that is absent was not set. */
export type ValuesOf<K> = { readonly [P in keyof K]?: K[P] extends KeyDef<infer T> ? T : never };

/** A family with its value types erased, as the registry holds it. */
export interface AnnotationFamily<C extends string = string, S = unknown> {
  readonly concern: C;
  readonly specs: readonly AnnotationSpec[];
  /**
   * Validates the family's keys that are set (canonical names, aliases already resolved) and builds the
   * concern's settings. Every bad key is reported; settings are undefined when any error was.
   */
  parse(values: ReadonlyMap<string, string>, namespace: string): { settings?: S; problems: Problem[] };
}

/**
 * Declares a family. `build` only runs when every key that is set validated, and gets their typed values.
 */
export function defineFamily<C extends string, K extends Record<string, KeyDef<unknown>>, S>(def: {
  readonly concern: C;
  readonly keys: K;
  readonly build: (values: ValuesOf<K>, context: BuildContext) => S;
}): AnnotationFamily<C, S> {
  const specs: AnnotationSpec[] = [];
  for (const [name, key] of Object.entries(def.keys)) {
    const { risk, scope, description, example } = key;
    specs.push({ name, family: def.concern, risk, scope, description, example });
    for (const alias of key.aliases ?? [])
      specs.push({
        name: alias,
        family: def.concern,
        risk,
        scope,
        description: `Old name of ${name}; ignored when that is also set.`,
        example,
        aliasOf: name,
      });
  }
  return {
    concern: def.concern,
    specs,
    parse(raw, namespace) {
      const problems: Problem[] = [];
      const values: Record<string, unknown> = {};
      for (const [name, value] of raw) {
        const key = Object.hasOwn(def.keys, name) ? def.keys[name] : undefined;
        if (key === undefined) continue;
        const result = key.schema.safeParse(value);
        if (result.success) values[name] = result.data;
        else
          problems.push({
            key: name,
            reason: result.error.issues[0]?.message ?? 'invalid value',
            severity: 'error',
          });
      }
      if (problems.length > 0) return { problems };
      const settings = def.build(values as ValuesOf<K>, {
        namespace,
        report: (key, reason, severity = 'error') => void problems.push({ key, reason, severity }),
      });
      return problems.some((p) => p.severity === 'error') ? { problems } : { settings, problems };
    },
  };
}

/** The fields of `o` that are set: turns `{ a: value | undefined }` into `{ a?: value }`. */
export function defined<T extends object>(o: T): { [P in keyof T]?: Exclude<T[P], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [P in keyof T]?: Exclude<T[P], undefined>;
  };
}
