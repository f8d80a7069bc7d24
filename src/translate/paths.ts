import type { PathType } from './ingress-parse.ts';

/** A path claim as Kubernetes sees it: Prefix paths ignore a trailing slash, so `/foo/` and `/foo` are one. */
export interface PathClaim {
  readonly match: 'Exact' | 'Prefix';
  readonly path: string;
}

/** ImplementationSpecific is matched as Prefix (documented in the README). */
export function claimFor(path: string, pathType: PathType): PathClaim {
  if (pathType === 'Exact') return { match: 'Exact', path };
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return { match: 'Prefix', path: trimmed === '' ? '/' : trimmed };
}

export function claimKey(c: PathClaim): string {
  return `${c.match} ${c.path}`;
}

/**
 * The NGINX locations that implement a claim. Kubernetes Prefix matching is element-wise on `/`, so
 * `/foo` matches `/foo` and `/foo/bar` but not `/foobar`: an exact location for `/foo` plus a prefix
 * location for `/foo/`. NGINX prefers `=` locations and then the longest prefix, which gives the
 * Kubernetes rules "Exact beats Prefix" and "longest match wins". When an Exact claim exists for the
 * same path, the Prefix claim gives up its `=` location to it.
 */
export function locationsFor(
  c: PathClaim,
  exactPaths: ReadonlySet<string>,
): { modifier: '=' | '' | '~'; path: string }[] {
  // NGINX answers `/foo` with a 301 to `/foo/` when a proxying location is named `/foo/`, even an `=` one.
  // Kubernetes says Exact `/foo/` does not match `/foo`, so such a path is written as the regex ^/foo/$.
  if (c.match === 'Exact')
    return [{ modifier: c.path.length > 1 && c.path.endsWith('/') ? '~' : '=', path: c.path }];
  if (c.path === '/') return [{ modifier: '', path: '/' }];
  const out: { modifier: '=' | '' | '~'; path: string }[] = [];
  if (!exactPaths.has(c.path)) out.push({ modifier: '=', path: c.path });
  out.push({ modifier: '', path: `${c.path}/` });
  return out;
}
