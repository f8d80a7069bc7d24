import { z } from 'zod';
import { defineFamily, defined } from './spec.ts';
import { bool } from './values.ts';

/** Regex paths and URI rewriting, as ingress-nginx does them. */
export interface RewriteAnnotations {
  /** The Ingress's non-Exact paths are regular expressions (`use-regex`). */
  readonly useRegex?: boolean;
  /** The URI the pods get: literal text and `$1`…`$9` from the path's capture groups. */
  readonly target?: string;
  /** `X-Forwarded-Prefix` sent with rewritten requests; may use the same captures. */
  readonly forwardedPrefix?: string;
}

/**
 * A URI path with capture references, as ingress-nginx accepts it (`/`, `/$1`, `/api/$2`, `$1`): path
 * characters, and `$` only as `$1`…`$9`, so no NGINX variable (`$http_cookie`) can be read into it. It
 * starts with `/` or a capture: NGINX would turn `http://…` into a redirect.
 */
export const uriWithCaptures = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(
    /^(\/|\$[1-9])([A-Za-z0-9\-._~/:]|\$[1-9])*$/,
    'must start with "/" or $1 to $9 and use letters, digits, -._~/: and $1 to $9 (capture groups)',
  )
  .refine((v) => v !== '', { message: 'must not be empty' });

export const rewriteFamily = defineFamily({
  concern: 'rewrite',
  keys: {
    'rewrite-target': {
      schema: uriWithCaptures,
      risk: 'Medium',
      scope: 'location',
      description:
        "URI the pods get instead of the request path; $1 to $9 are the path's capture groups. Makes the Ingress's paths regular expressions (unless equal to the path).",
      example: '/$2',
    },
    'use-regex': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        "The Ingress's Prefix and ImplementationSpecific paths are case-insensitive regular expressions; every path of its hosts becomes a regex location.",
      example: 'true',
    },
    'x-forwarded-prefix': {
      schema: uriWithCaptures,
      risk: 'Medium',
      scope: 'location',
      description: 'X-Forwarded-Prefix header sent with rewritten requests; may use $1 to $9.',
      example: '/api',
    },
  },
  build: (v, { report }): RewriteAnnotations => {
    if (v['x-forwarded-prefix'] !== undefined && v['rewrite-target'] === undefined)
      report(
        'x-forwarded-prefix',
        'has no effect without rewrite-target (it is sent with rewritten requests)',
        'warning',
      );
    return defined({
      useRegex: v['use-regex'],
      target: v['rewrite-target'],
      forwardedPrefix: v['x-forwarded-prefix'],
    });
  },
});
