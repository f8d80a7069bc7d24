import { z } from 'zod';
import type { V1Ingress } from '@kubernetes/client-node';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import { checkRegexPath } from './path-regex.ts';
import { dnsLabelName, dnsSubdomain, httpPath, ingressHost, portName, portNumber } from './validators.ts';
import { interned } from '../model/interned.ts';

/** A Service backend, validated: what an Ingress path or default backend points at. */
export interface ServiceBackendRef {
  readonly service: string;
  readonly port: { readonly number: number } | { readonly name: string };
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface ParsedPath {
  readonly path: string;
  readonly pathType: PathType;
  /** Capture groups of a regex path (an Ingress with `use-regex` or `rewrite-target`); else undefined. */
  readonly regexGroups: number | undefined;
  readonly backend: ServiceBackendRef;
  /** Index into spec.rules / paths, for diagnostics. */
  readonly field: string;
}

export interface ParsedRule {
  /** Empty string: the rule applies to every host no other rule names. */
  readonly host: string;
  readonly paths: readonly ParsedPath[];
}

export interface ParsedTls {
  readonly hosts: readonly string[];
  readonly secretName: string;
  readonly field: string;
}

/** An Ingress after strict validation. Only these fields reach the rest of translate. */
export interface ParsedIngress {
  readonly ref: ObjectRef;
  /** RFC 3339 creation time, normalised so strings compare in time order; empty when unknown. */
  readonly createdAt: string;
  readonly className: string | undefined;
  readonly legacyClass: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  readonly defaultBackend: ServiceBackendRef | undefined;
  readonly rules: readonly ParsedRule[];
  readonly tls: readonly ParsedTls[];
}

const backendSchema = z
  .object(
    {
      service: z
        .object({
          name: dnsLabelName,
          port: z
            .object({ number: portNumber.optional(), name: portName.optional() })
            .refine((p) => (p.number === undefined) !== (p.name === undefined), {
              message: 'exactly one of number and name must be set',
            }),
        })
        .optional(),
      resource: z.unknown().optional(),
    },
    { error: 'must be an object' },
  )
  .refine((b) => b.resource === undefined, { message: 'resource backends are not supported; use a Service' })
  .refine((b) => b.service !== undefined, { message: 'service is required' });

/**
 * Paths are literal (validators.ts `httpPath`) unless the Ingress asks for regular expressions: then
 * Prefix and ImplementationSpecific paths are regexes (path-regex.ts), as in ingress-nginx; Exact paths
 * stay literal either way.
 */
/** The prefix of the internal locations Gatehouse adds to a server (`/_gatehouse_auth/…`, `/_gatehouse_mirror/…`). */
const INTERNAL_PATHS = '/_gatehouse_';

function pathSchema(regex: boolean) {
  return z
    .object({
      path: z.string({ error: 'must be a string' }).optional().nullable(),
      pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific'], {
        error: 'must be Exact, Prefix or ImplementationSpecific',
      }),
      backend: backendSchema,
    })
    .transform((p, ctx) => {
      const path = p.path ?? '/';
      if (regex && p.pathType !== 'Exact') {
        const check = checkRegexPath(path);
        if (check.ok) return { ...p, path, regexGroups: check.groups };
        ctx.addIssue({ code: 'custom', path: ['path'], message: `regex path ${check.reason}` });
        return z.NEVER;
      }
      const literal = httpPath.safeParse(path);
      if (literal.success && path.startsWith(INTERNAL_PATHS)) {
        // A `location = /_gatehouse_auth/<id>` of an Ingress's own would clash with the internal one
        // of another Ingress of the host (auth checks, mirrors): the config would fail nginx -t.
        ctx.addIssue({
          code: 'custom',
          path: ['path'],
          message: `paths under ${INTERNAL_PATHS} are Gatehouse's own internal locations`,
        });
        return z.NEVER;
      }
      if (literal.success) return { ...p, path, regexGroups: undefined };
      for (const issue of literal.error.issues)
        ctx.addIssue({ code: 'custom', path: ['path'], message: issue.message });
      return z.NEVER;
    });
}

function specSchema(regex: boolean) {
  return z.object({
    ingressClassName: dnsSubdomain.optional().nullable(),
    defaultBackend: backendSchema.optional().nullable(),
    tls: z
      .array(
        z.object({
          hosts: z.array(ingressHost).optional().nullable(),
          secretName: dnsSubdomain.optional().nullable(),
        }),
      )
      .optional()
      .nullable(),
    rules: z
      .array(
        z.object({
          host: ingressHost.optional().nullable(),
          http: z
            .object({ paths: z.array(pathSchema(regex)).min(1, 'must list at least one path') })
            .optional()
            .nullable(),
        }),
      )
      .optional()
      .nullable(),
  });
}
const SPEC = { literal: specSchema(false), regex: specSchema(true) };

/** Whether an Ingress's annotations make its paths regular expressions, as in ingress-nginx. */
function wantsRegexPaths(annotations: Readonly<Record<string, string>>): boolean {
  return (
    annotations[`${ANNOTATION_PREFIX}use-regex`] === 'true' ||
    annotations[`${ANNOTATION_PREFIX}rewrite-target`] !== undefined
  );
}

const metadataSchema = z.object({
  name: dnsSubdomain,
  namespace: dnsLabelName,
  annotations: z.record(z.string(), z.string()).optional().nullable(),
});

export type ParseResult = { ok: true; ingress: ParsedIngress } | { ok: false; diagnostics: Diagnostic[] };

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function ingressRef(ing: V1Ingress): ObjectRef {
  return { kind: 'Ingress', namespace: ing.metadata?.namespace ?? 'default', name: ing.metadata?.name ?? '' };
}

/** Validates an Ingress; any invalid value rejects the whole object with one diagnostic per problem. */
export function parseIngress(raw: V1Ingress): ParseResult {
  const ref = ingressRef(raw);
  const meta = metadataSchema.safeParse({
    name: raw.metadata?.name,
    namespace: ref.namespace,
    annotations: raw.metadata?.annotations,
  });
  const spec = (
    meta.success && wantsRegexPaths(meta.data.annotations ?? {}) ? SPEC.regex : SPEC.literal
  ).safeParse(raw.spec ?? {});
  const diagnostics: Diagnostic[] = [];
  for (const [prefix, result] of [
    ['metadata', meta],
    ['spec', spec],
  ] as const) {
    if (!result.success) {
      for (const issue of result.error.issues) {
        diagnostics.push({
          severity: 'error',
          object: ref,
          field: formatPath(prefix, issue.path),
          reason: issue.message,
        });
      }
    }
  }
  if (!meta.success || !spec.success) return { ok: false, diagnostics };

  const annotations = meta.data.annotations ?? {};
  const s = spec.data;
  const rules: ParsedRule[] = (s.rules ?? []).map((rule, r) => ({
    host: rule.host ?? '',
    paths: (rule.http?.paths ?? []).map((p, i) => ({
      path: p.path,
      pathType: p.pathType,
      regexGroups: p.regexGroups,
      backend: toBackend(p.backend),
      field: interned(`spec.rules[${r}].http.paths[${i}]`),
    })),
  }));
  const tls: ParsedTls[] = (s.tls ?? []).flatMap((t, i) =>
    t.secretName == null
      ? []
      : [{ hosts: t.hosts ?? [], secretName: t.secretName, field: interned(`spec.tls[${i}]`) }],
  );
  return {
    ok: true,
    ingress: {
      ref,
      createdAt: normaliseTimestamp(raw.metadata?.creationTimestamp),
      className: s.ingressClassName ?? undefined,
      legacyClass: annotations[LEGACY_CLASS_ANNOTATION],
      annotations,
      defaultBackend: s.defaultBackend ? toBackend(s.defaultBackend) : undefined,
      rules,
      tls,
    },
  };
}

function toBackend(b: z.output<typeof backendSchema>): ServiceBackendRef {
  // The schema guarantees service and exactly one of port.number / port.name.
  const service = b.service ?? { name: '', port: {} };
  const port =
    service.port.number !== undefined ? { number: service.port.number } : { name: service.port.name ?? '' };
  return { service: service.name, port };
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/**
 * Kubernetes writes `2024-05-01T10:00:00Z`; client-node hands back a Date. Both become the same
 * second-precision string, which sorts in time order.
 */
export function normaliseTimestamp(value: unknown): string {
  let s = '';
  if (typeof value === 'string') s = value;
  else if (typeof value === 'object' && value !== null && 'toISOString' in value) {
    const fn = value.toISOString;
    if (typeof fn === 'function') s = String(fn.call(value));
  }
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(s);
  return m?.[1] ?? '';
}
