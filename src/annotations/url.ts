import { z } from 'zod';

/**
 * URL-like annotation values (redirect targets, CORS origins, proxy_redirect, upstream-vhost) are parsed
 * with the WHATWG URL parser and rebuilt from their parts, so what reaches NGINX is the URL the parser
 * understood, never the string as written. Every part is then held to characters that need no quoting in
 * an NGINX string: no `$` (NGINX would read a variable), quotes, backslashes, braces, `;` or whitespace.
 */

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Path and query characters: RFC 3986 pchar without `$`, `'` and `;`, plus `?` and `%XX`. */
const PATH_AND_QUERY = /^([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2})*$/;

/** A host name (lowercase DNS name) or an IP address (IPv6 in brackets), as the URL parser gives it. */
export function validHost(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return z.ipv6().safeParse(host.slice(1, -1)).success;
  if (z.ipv4().safeParse(host).success) return true;
  return host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label));
}

export interface UrlOptions {
  readonly schemes: readonly string[];
  /** Whether a path and query may follow the host (a CORS origin has none). */
  readonly path: boolean;
}

/** An absolute URL, rebuilt from its parts: `scheme://host[:port][/path][?query]`. */
export function absoluteUrl({ schemes, path }: UrlOptions) {
  const what = path ? `an absolute ${schemes.join(' or ')} URL` : `a ${schemes.join(' or ')} origin`;
  return z
    .string()
    .trim()
    .max(2048, 'must be at most 2048 characters')
    .transform((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be ${what}` });
        return z.NEVER;
      }
      const scheme = url.protocol.slice(0, -1);
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (!schemes.includes(scheme)) return fail(`must be ${what}`);
      if (url.username !== '' || url.password !== '') return fail('must not carry a user name or password');
      if (url.hash !== '') return fail('must not have a #fragment');
      if (!validHost(url.hostname)) return fail('must name a DNS host or an IP address');
      const rest = `${url.pathname}${url.search}`;
      if (!path && rest !== '/') return fail(`must be ${what}, with no path`);
      if (!PATH_AND_QUERY.test(rest))
        return fail('must use only letters, digits and -._~/:@!&()*+,=?% in its path and query');
      return path ? `${scheme}://${url.host}${rest}` : `${scheme}://${url.host}`;
    });
}
