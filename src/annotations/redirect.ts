import { z } from 'zod';
import { defineFamily, defined } from './spec.ts';
import { absoluteUrl } from './url.ts';
import { bool } from './values.ts';

/** Redirects an Ingress asks for. Unset fields follow the ConfigMap's defaults. */
export interface RedirectAnnotations {
  readonly sslRedirect?: boolean;
  readonly forceSslRedirect?: boolean;
  /** Keep a trailing `/` when redirecting to HTTPS (ingress-nginx drops it by default). */
  readonly preserveTrailingSlash?: boolean;
  /** Answer every request with this redirect instead of proxying (permanent- or temporal-redirect). */
  readonly redirect?: { readonly code: number; readonly url: string };
  /** Redirect `/` to this path (302). */
  readonly appRoot?: string;
  /** Also serve the host with or without `www.`, redirecting to the host itself. */
  readonly fromToWww?: boolean;
  /** Redirects NGINX issues carry a relative Location (absolute_redirect off). */
  readonly relative?: boolean;
  /** Redirects NGINX issues (and the HTTPS redirect) name the port NGINX listens on (use-port-in-redirects). */
  readonly portInRedirects?: boolean;
}

const redirectUrl = absoluteUrl({ schemes: ['http', 'https'], path: true });

function code(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d{3}$/, `must be a redirect status code from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a redirect status code from ${min} to ${max}` });
}

/** A path on the same host, as ingress-nginx's app-root takes it: `/app`, `/app/index.html?x=1`. */
const appRoot = z
  .string()
  .trim()
  .max(1024, 'must be at most 1024 characters')
  .regex(
    /^\/([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2})*$/,
    'must be a path starting with "/", in letters, digits and -._~/:@!&()*+,=?%',
  )
  .refine((v) => !v.startsWith('//'), { message: 'must be a path on this host, not //host' })
  // A Location header with an encoded control character (%00, %0d%0a) is never a real app root, and
  // whatever decodes it downstream should not get the chance.
  .refine((v) => !/%(?:[01][0-9A-Fa-f]|7[Ff])/.test(v), {
    message: 'must not encode control characters (%00 to %1F, %7F)',
  });

export const redirectFamily = defineFamily({
  concern: 'redirect',
  keys: {
    'app-root': {
      schema: appRoot,
      risk: 'Medium',
      scope: 'server',
      description: 'Redirect requests for / to this path (302).',
      example: '/app',
    },
    'force-ssl-redirect': {
      schema: bool,
      risk: 'Medium',
      scope: 'location',
      description: 'Redirect HTTP to HTTPS (308) even when the Ingress has no TLS section.',
      example: 'true',
    },
    'from-to-www-redirect': {
      schema: bool,
      risk: 'Low',
      scope: 'server',
      description:
        'Also answer the host without (or with) "www.", redirecting it (308) to the host of the rule, unless another Ingress serves that name.',
      example: 'true',
    },
    'permanent-redirect': {
      schema: redirectUrl,
      risk: 'Medium',
      scope: 'location',
      description: 'Answer every request with a redirect (301) to this http(s) URL instead of proxying.',
      example: 'https://www.example.com/new',
    },
    'permanent-redirect-code': {
      schema: code(300, 308),
      risk: 'Low',
      scope: 'location',
      description: 'Status code of permanent-redirect: 300 to 308.',
      example: '308',
    },
    'preserve-trailing-slash': {
      schema: bool,
      risk: 'Medium',
      scope: 'location',
      description: 'Keep a trailing "/" in the HTTPS redirect (ingress-nginx drops it by default).',
      example: 'true',
    },
    'relative-redirects': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Redirects NGINX issues (HTTPS, trailing slash) carry a relative Location.',
      example: 'true',
    },
    'ssl-redirect': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Redirect HTTP to HTTPS (308) when the host has TLS. Default true.',
      example: 'false',
    },
    'temporal-redirect': {
      schema: redirectUrl,
      risk: 'Medium',
      scope: 'location',
      description:
        'Answer every request with a redirect (302) to this http(s) URL; wins over permanent-redirect.',
      example: 'https://maintenance.example.com/',
    },
    'temporal-redirect-code': {
      schema: code(300, 307),
      risk: 'Low',
      scope: 'location',
      description: 'Status code of temporal-redirect: 300 to 307.',
      example: '307',
    },
    'use-port-in-redirects': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        'Redirects NGINX issues, the HTTPS redirect among them, name the port NGINX listens on when it is not the default (default: the ConfigMap use-port-in-redirects, false).',
      example: 'true',
    },
  },
  build: (v, { report }): RedirectAnnotations => {
    for (const [codeKey, urlKey] of [
      ['permanent-redirect-code', 'permanent-redirect'],
      ['temporal-redirect-code', 'temporal-redirect'],
    ] as const)
      if (v[codeKey] !== undefined && v[urlKey] === undefined)
        report(codeKey, `has no effect without ${urlKey}`, 'warning');
    if (v['temporal-redirect'] !== undefined && v['permanent-redirect'] !== undefined)
      report('permanent-redirect', 'ignored: temporal-redirect is also set and takes precedence', 'warning');
    const temporal = v['temporal-redirect'];
    const permanent = v['permanent-redirect'];
    const redirect =
      temporal !== undefined
        ? { code: v['temporal-redirect-code'] ?? 302, url: temporal }
        : permanent !== undefined
          ? { code: v['permanent-redirect-code'] ?? 301, url: permanent }
          : undefined;
    return defined({
      sslRedirect: v['ssl-redirect'],
      forceSslRedirect: v['force-ssl-redirect'],
      preserveTrailingSlash: v['preserve-trailing-slash'],
      redirect,
      appRoot: v['app-root'],
      fromToWww: v['from-to-www-redirect'],
      relative: v['relative-redirects'],
      portInRedirects: v['use-port-in-redirects'],
    });
  },
});
