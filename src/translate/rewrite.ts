import type { RewriteAnnotations } from '../annotations/rewrite.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Diagnostic } from '../model/diagnostics.ts';
import type { ProxyHeaderOverrides, Rewrite } from '../model/nginx.ts';
import type { ParsedIngress, ParsedPath } from './ingress-parse.ts';
import { literalRegex } from './path-regex.ts';
import { claimFor, type PathClaim } from './paths.ts';
import { httpPath } from './validators.ts';

/** How one path of an Ingress is matched and rewritten. */
export interface PathMatch {
  readonly claim: PathClaim;
  /** The path makes its host a regex host (ingress-nginx: `use-regex`, or a rewrite that changes the URI). */
  readonly regex: boolean;
  readonly rewrite?: Rewrite;
  readonly proxyHeaders?: ProxyHeaderOverrides;
}

/**
 * ingress-nginx's rules: with `use-regex` the Ingress's paths are regexes; `rewrite-target` rewrites every
 * path it differs from, which makes that path a regex too; a target equal to the path is a no-op.
 */
export function matchPath(p: ParsedPath, rewrite: RewriteAnnotations | undefined): PathMatch {
  const target = rewrite?.target;
  const rewrites = target !== undefined && target !== p.path;
  // Validated as a regex (the Ingress asked for them) and used as one, unless only a no-op target asked
  // and the path is also a valid literal.
  const regex =
    p.regexGroups !== undefined &&
    (rewrite?.useRegex === true || rewrites || !httpPath.safeParse(p.path).success);
  const claim = claimFor(p.path, p.pathType, regex);
  if (!rewrites) return { claim, regex };
  const forwardedPrefix = rewrite?.forwardedPrefix;
  return {
    claim,
    regex: true,
    rewrite: { regex: regex ? p.path : literalRegex(p.path), target },
    ...(forwardedPrefix !== undefined && { proxyHeaders: { forwardedPrefix } }),
  };
}

/**
 * `$n` in `rewrite-target` or `x-forwarded-prefix` must name a capture group of every path it rewrites:
 * NGINX would silently put an empty string there.
 */
export function checkCaptures(
  ingress: ParsedIngress,
  rewrite: RewriteAnnotations | undefined,
  report: (d: Diagnostic) => void,
): boolean {
  let ok = true;
  for (const [name, value] of [
    ['rewrite-target', rewrite?.target],
    ['x-forwarded-prefix', rewrite?.target === undefined ? undefined : rewrite.forwardedPrefix],
  ] as const) {
    if (value === undefined) continue;
    const highest = Math.max(0, ...[...value.matchAll(/\$([1-9])/g)].map((m) => Number(m[1])));
    if (highest === 0) continue;
    for (const rule of ingress.rules)
      for (const p of rule.paths) {
        if (p.path === rewrite?.target) continue; // not rewritten
        const groups = p.regexGroups ?? 0;
        if (highest <= groups) continue;
        ok = false;
        report({
          severity: 'error',
          object: ingress.ref,
          field: `metadata.annotations[${ANNOTATION_PREFIX}${name}]`,
          reason: `uses $${highest}, but the path ${p.path} (${p.field}) has ${groups === 0 ? 'no capture group' : groups === 1 ? 'only 1 capture group' : `only ${groups} capture groups`}`,
        });
      }
  }
  return ok;
}
