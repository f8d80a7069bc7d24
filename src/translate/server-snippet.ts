import type { LocationSnippet, NestedLocation, ServerSnippet } from '../annotations/nginx-snippet.ts';
import type { Snippets } from '../annotations/snippet.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import { cmp, type ObjectRef } from '../model/diagnostics.ts';
import type { LocationSettings, SnippetSettings } from '../model/nginx.ts';
import type { PathClaim } from './paths.ts';

/**
 * server-snippet (issue 8, ADR 0013): its rules reach the whole host — every location, its own locations
 * that answer paths — so a host takes at most one, and only from a namespace that serves the host alone.
 * The unit of trust is the namespace: a tenant may shape its own hosts, never one another namespace also
 * serves. On a host:
 *
 * - the oldest Ingress that carries a server-snippet sets it (as in ingress-nginx); a newer Ingress of the
 *   same namespace with a different one is not served there (ingress-nginx serves it without its snippet,
 *   which might be the access control it relies on); one with the same snippet is;
 * - an Ingress with a server-snippet is not served on a host an older Ingress of another namespace serves,
 *   and once the snippet is set, no Ingress of another namespace is served there (whatever
 *   host-namespace-isolation says);
 * - its locations are path claims of their Ingress, made before its paths: one that falls under a path
 *   another Ingress claimed first (that path, a Prefix path above it, a regex path that matches it; for a
 *   regex location, any path of another Ingress) is not used, so no location takes requests another
 *   Ingress already serves; a path a snippet location claims is not served by a newer Ingress.
 */

export const SERVER_SNIPPET_FIELD = `metadata.annotations[${ANNOTATION_PREFIX}server-snippet]`;

interface Owner {
  readonly ingress: { readonly ref: ObjectRef };
  readonly settings: { readonly snippet?: Snippets | undefined };
}

/** A server-snippet's location, claimed on a host. */
export interface NestedClaim {
  readonly claim: PathClaim;
  readonly location: NestedLocation;
}

/** Why an Ingress's server-snippet cannot be read at all (it then is not served), or undefined. */
export function serverSnippetRefusal(
  hosts: readonly string[],
  canary: boolean,
  snippets: Snippets | undefined,
): string | undefined {
  if (snippets?.server === undefined) return undefined;
  if (canary) return 'a canary Ingress adds no server of its own; set server-snippet on the main Ingress';
  if (hosts.length === 0 || hosts.includes(''))
    return 'needs every rule to name a host: the default server (unknown hosts, rules without a host) is shared by every Ingress';
  return undefined;
}

/**
 * Why `candidate`'s rule on `host` is not served because of a server-snippet, or undefined. `snippetOwner`
 * is the Ingress whose snippet the host has so far, `contributors` those already served there (older).
 */
export function serverSnippetConflict(
  host: string,
  candidate: Owner,
  snippetOwner: Owner | undefined,
  contributors: readonly Owner[],
  older: (winner: ObjectRef, loser: ObjectRef) => string,
): string | undefined {
  const mine = candidate.settings.snippet?.server;
  const namespace = candidate.ingress.ref.namespace;
  if (snippetOwner === undefined || snippetOwner === candidate) {
    if (mine !== undefined && contributors.some((c) => c.ingress.ref.namespace !== namespace))
      return `server-snippet applies to the whole host ${host}, which an older Ingress in another namespace serves; this rule is not served`;
    return undefined;
  }
  if (snippetOwner.ingress.ref.namespace !== namespace)
    return `host ${host} carries the server-snippet of an older Ingress in another namespace, which no other namespace may share; this rule is not served`;
  if (mine !== undefined && JSON.stringify(mine) !== JSON.stringify(snippetOwner.settings.snippet?.server))
    return `host ${host} already has the server-snippet of ${older(snippetOwner.ingress.ref, candidate.ingress.ref)} (a host has one: the oldest); this rule carries another and is not served`;
  return undefined;
}

/** Whether requests for `nested` would otherwise go to `older`, a path another Ingress claimed first. */
export function fallsUnder(nested: PathClaim, older: PathClaim): boolean {
  if (nested.match === 'Regex') return true;
  if (older.match === 'Exact') return older.path === nested.path && nested.match === 'Exact';
  if (older.match === 'Prefix')
    return older.path === '/' || nested.path === older.path || nested.path.startsWith(`${older.path}/`);
  // A checked regex path (path-regex.ts): the same in JavaScript as in PCRE.
  return new RegExp(`^${older.path}`, 'i').test(nested.path);
}

/** How a snippet location is named in messages: `location = /robots.txt`. */
export function nestedName({ claim }: NestedClaim): string {
  const modifier = claim.match === 'Exact' ? '= ' : claim.match === 'Regex' ? '~* ' : '';
  return `location ${modifier}${claim.path}`;
}

/** What a snippet asks beyond headers (allow/deny, return, rewrites), or undefined when nothing. */
export function snippetSettings(snippet: LocationSnippet): SnippetSettings | undefined {
  const { access, answer, rewrites } = snippet;
  if (access.length === 0 && answer === undefined && rewrites.length === 0) return undefined;
  return {
    access,
    ...(answer !== undefined && { answer }),
    ...(rewrites.length > 0 && { rewrites }),
  };
}

/** The settings of a snippet location: the host's defaults (`base`), its rules and its headers. */
export function nestedSettings(base: LocationSettings, location: NestedLocation): LocationSettings {
  return {
    ...base,
    snippet: { access: location.access, ...(location.answer !== undefined && { answer: location.answer }) },
    ...(location.responseHeaders.length > 0 && {
      responseHeaders: { custom: mergeHeaders([], location.responseHeaders) },
    }),
  };
}

/** A location's settings with the server-snippet's headers added; the location's own win on a name. */
export function withServerHeaders(settings: LocationSettings, snippet: ServerSnippet): LocationSettings {
  const { requestHeaders, responseHeaders } = snippet;
  return {
    ...settings,
    ...(requestHeaders.length > 0 && {
      proxyHeaders: {
        ...settings.proxyHeaders,
        extra: mergeHeaders(requestHeaders, settings.proxyHeaders?.extra ?? []),
      },
    }),
    ...(responseHeaders.length > 0 && {
      responseHeaders: {
        ...settings.responseHeaders,
        custom: mergeHeaders(responseHeaders, settings.responseHeaders?.custom ?? []),
      },
    }),
  };
}

type Header = { readonly name: string; readonly value: string };

/** `base` and `over` by name (case-insensitive; `over` wins, and the last of a name), sorted by name. */
export function mergeHeaders(base: readonly Header[], over: readonly Header[]): Header[] {
  const byName = new Map([...base, ...over].map((h) => [h.name.toLowerCase(), h]));
  return [...byName.values()].sort((a, b) => cmp(a.name.toLowerCase(), b.name.toLowerCase()));
}
