import { cmp } from '../model/diagnostics.ts';
import type { Location } from '../model/nginx.ts';
import type { PathType } from './ingress-parse.ts';
import { literalRegex } from './path-regex.ts';
import { interned } from '../model/interned.ts';

/**
 * A path claim as Kubernetes sees it: Prefix paths ignore a trailing slash, so `/foo/` and `/foo` are one.
 * `Regex` is a path of an Ingress that asked for regular expressions (`use-regex`, `rewrite-target`).
 */
export interface PathClaim {
  readonly match: 'Exact' | 'Prefix' | 'Regex';
  readonly path: string;
}

/**
 * ImplementationSpecific is matched as Prefix (documented in the README), unless the path is a regex.
 * The regex `/` matches everything, as the Prefix `/` does, and is claimed as that one catch-all.
 */
export function claimFor(path: string, pathType: PathType, regex: boolean): PathClaim {
  if (pathType === 'Exact') return { match: 'Exact', path };
  if (regex && path !== '/') return { match: 'Regex', path };
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return { match: 'Prefix', path: trimmed === '' ? '/' : trimmed };
}

export function claimKey(c: PathClaim): string {
  return `${c.match} ${c.path}`;
}

type Match = Pick<Location, 'modifier' | 'path'>;

/**
 * The NGINX locations that implement a claim. Kubernetes Prefix matching is element-wise on `/`, so
 * `/foo` matches `/foo` and `/foo/bar` but not `/foobar`: an exact location for `/foo` plus a prefix
 * location for `/foo/`. NGINX prefers `=` locations and then the longest prefix, which gives the
 * Kubernetes rules "Exact beats Prefix" and "longest match wins". When an Exact claim exists for the
 * same path, the Prefix claim gives up its `=` location to it.
 *
 * On a regex host (one of its paths is a regex, see ADR 0008) NGINX would try every regex before a
 * plain prefix location, so, as in ingress-nginx, every Prefix path there becomes a case-insensitive
 * regex too — `^/foo(/|$)`, still element-wise — and `compareLocations` orders them. Exact paths stay
 * `=` locations, which NGINX tries first; the catch-all `/` stays a prefix location, tried last.
 */
export function locationsFor(c: PathClaim, exactPaths: ReadonlySet<string>, regexHost: boolean): Match[] {
  // NGINX answers `/foo` with a 301 to `/foo/` when a proxying location is named `/foo/`, even an `=` one.
  // Kubernetes says Exact `/foo/` does not match `/foo`, so such a path is written as the regex ^/foo/$.
  if (c.match === 'Exact')
    return [{ modifier: c.path.length > 1 && c.path.endsWith('/') ? '~' : '=', path: c.path }];
  if (c.match === 'Regex') return [{ modifier: '~*', path: c.path }];
  if (c.path === '/') return [{ modifier: '', path: '/' }];
  if (regexHost) return [{ modifier: '~*', path: interned(`${literalRegex(c.path)}(/|$)`) }];
  const out: Match[] = [];
  if (!exactPaths.has(c.path)) out.push({ modifier: '=', path: c.path });
  out.push({ modifier: '', path: interned(`${c.path}/`) });
  return out;
}

/**
 * The order locations are printed in. Only regex locations depend on it (NGINX takes the first that
 * matches): the anchored Exact ones (`~`) first, then regex paths longest first, ties in reverse
 * character order — ingress-nginx's order, so the more specific of two overlapping regexes usually wins.
 */
export function compareLocations(a: Match, b: Match): number {
  const rank = (l: Match): number => (l.modifier === '~*' ? 2 : l.modifier === '~' ? 1 : 0);
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if (a.modifier === '~*') return b.path.length - a.path.length || cmp(b.path, a.path);
  return cmp(a.path, b.path) || cmp(a.modifier, b.modifier);
}
