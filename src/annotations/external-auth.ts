import { z } from 'zod';
import { configMapRef } from './headers.ts';
import { defineFamily, type KeyDef } from './spec.ts';
import { absoluteUrl } from './url.ts';
import { bool, int, list } from './values.ts';

/**
 * External authentication (ingress-nginx's auth-url family): every request is first asked of an auth
 * service through NGINX's `auth_request`; 2xx lets it through (with some of the service's headers), 401
 * sends the client to the sign-in page, anything else refuses it. The same keys, prefixed `global-`, are
 * the ConfigMap's global auth (`src/config/global-config.ts`).
 */
export interface ExternalAuthService {
  /** The auth service's URL, parsed: only these parts ever reach NGINX. */
  readonly url: {
    readonly https: boolean;
    readonly hostname: string;
    readonly port: number;
    readonly uri: string;
  };
  readonly method?: string;
  /** Sign-in URL with Gatehouse's variables in it (see `signinUrl`), the original URL already added. */
  readonly signin?: string;
  /** `X-Auth-Request-Redirect` sent to the auth service (default: the request URI). */
  readonly requestRedirect?: string;
  /** Headers of the auth service's 2xx answer passed on to the pods. */
  readonly responseHeaders: readonly string[];
  /** ConfigMap of the Ingress's namespace whose entries are request headers for the auth service. */
  readonly proxySetHeaders?: string;
  readonly cache?: { readonly key: string; readonly valid: readonly string[] };
  /** Keep-alive connections to the auth service (none by default, as ingress-nginx). */
  readonly keepalive?: {
    readonly connections: number;
    readonly requests: number;
    readonly timeoutSeconds: number;
  };
  /** Send the auth service's Set-Cookie with every answer, not only successful ones. */
  readonly alwaysSetCookie: boolean;
}

export interface ExternalAuthAnnotations {
  /** Set when the Ingress names an auth-url. */
  readonly service?: ExternalAuthService;
  /** `enable-global-auth`: whether the ConfigMap's global auth protects this Ingress (default true). */
  readonly globalAuth: boolean;
}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

/**
 * NGINX variables ingress-nginx users write into auth-signin, and what Gatehouse prints for each. Anything
 * else with a `$` is refused.
 */
const SIGNIN_VARIABLES: Readonly<Record<string, string>> = {
  host: 'gatehouse_host',
  http_host: 'gatehouse_host',
  best_http_host: 'gatehouse_host',
  escaped_request_uri: 'gatehouse_escaped_request_uri',
  scheme: 'scheme',
  pass_access_scheme: 'scheme',
};
const HOST_PLACEHOLDER = (i: number) => `gatehouse-variable-${i}.invalid`;
const PATH_PLACEHOLDER = (i: number) => `GATEHOUSEVARIABLE${i}X`;

const authUrl = absoluteUrl({ schemes: ['http', 'https'], path: true });

/**
 * auth-signin: an absolute http(s) URL, parsed and rebuilt, in which `$host`, `$escaped_request_uri` and
 * `$scheme` (and their ingress-nginx synonyms) may stand for the request's own values. The variables are
 * swapped for placeholders while the URL parser checks the rest, then printed as Gatehouse's variables.
 */
export const signinUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .transform((value, ctx) => {
    const names: string[] = [];
    let bad: string | undefined;
    let text = value;
    let schemeVariable = false;
    const schemeMatch = /^\$(scheme|pass_access_scheme):\/\//.exec(text);
    if (schemeMatch !== null) {
      schemeVariable = true;
      text = `https://${text.slice(schemeMatch[0].length)}`;
    }
    const hostStart = text.indexOf('://') + 3;
    text = text.replace(/\$([A-Za-z0-9_]*)/g, (whole, name: string, offset: number) => {
      const mapped = Object.hasOwn(SIGNIN_VARIABLES, name) ? SIGNIN_VARIABLES[name] : undefined;
      if (mapped === undefined) {
        bad ??= whole;
        return '';
      }
      names.push(mapped);
      const inHost = offset === hostStart && mapped === 'gatehouse_host';
      return inHost ? HOST_PLACEHOLDER(names.length - 1) : PATH_PLACEHOLDER(names.length - 1);
    });
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `may use only the variables $host, $escaped_request_uri and $scheme (found ${bad === '$' ? 'a lone $' : bad})`,
      });
      return z.NEVER;
    }
    const parsed = authUrl.safeParse(text);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'must be an absolute URL' });
      return z.NEVER;
    }
    let url = parsed.data;
    if (schemeVariable) url = `$scheme${url.slice(url.indexOf('://'))}`;
    for (const [i, name] of names.entries()) {
      url = url.replace(HOST_PLACEHOLDER(i), `$${name}`).replace(PATH_PLACEHOLDER(i), `$${name}`);
    }
    return url;
  });

/** `X-Auth-Request-Redirect`: an absolute http(s) URL or a path, rebuilt from its parts. */
const requestRedirect = z
  .string()
  .trim()
  .refine(
    (v) =>
      /^\/(?!\/)([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}){0,2047}$/.test(v) ||
      authUrl.safeParse(v).success,
    { message: 'must be an absolute http(s) URL or a path, without quotes, spaces or $' },
  )
  .transform((v) => (v.startsWith('/') ? v : authUrl.parse(v)));

/**
 * The variables an auth-cache-key may combine (ingress-nginx's example is `$remote_user$http_authorization`):
 * request headers, cookies and arguments by name, and a few request properties. Any other `$` is refused,
 * so the key never names a variable NGINX lacks (which would fail the whole config): after a variable
 * comes another, the end, or one of `.:/-` (a letter would lengthen its name).
 */
const CACHE_KEY =
  /^[A-Za-z0-9._:/-]*(?:\$(?:(?:http|cookie|arg)_[a-z0-9_]{1,64}|remote_user|remote_addr|host|uri|request_uri|args|scheme|request_method)(?:[.:/-][A-Za-z0-9._:/-]*)?)*$/;

/** One `proxy_cache_valid`: optional status codes (or `any`) and a time. */
const CACHE_VALID = /^(?:(?:[1-5]\d\d|any) )*\d{1,6}[smhd]$/;

export const EXTERNAL_AUTH_KEYS = {
  'auth-url': {
    schema: authUrl,
    risk: 'High',
    scope: 'location',
    description:
      'URL of the auth service asked before each request (2xx: served, 401: sign-in or 401, else 403). Its host is resolved by the controller and held to the ExternalName address policy; NGINX never resolves it.',
    example: 'http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth',
  },
  'auth-method': {
    schema: z
      .string()
      .trim()
      .pipe(
        z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'], {
          error: 'must be an HTTP method in capitals (GET, HEAD, POST, …)',
        }),
      ),
    risk: 'Low',
    scope: 'location',
    description: "Method of the auth request (default: the request's own, without its body).",
    example: 'GET',
  },
  'auth-signin': {
    schema: signinUrl,
    risk: 'High',
    scope: 'location',
    description:
      'Where a client the auth service answers 401 is redirected (302), with the original URL in auth-signin-redirect-param; may use $host, $escaped_request_uri and $scheme.',
    example: 'https://$host/oauth2/start?rd=$escaped_request_uri',
  },
  'auth-signin-redirect-param': {
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a query parameter name (letters, digits, _.-)'),
    risk: 'Medium',
    scope: 'location',
    description: 'Query parameter of auth-signin that carries the original URL (default "rd").',
    example: 'redirect_to',
  },
  'auth-response-headers': {
    schema: list(z.string().regex(HEADER_NAME, 'must be a comma-separated list of header names'), {
      max: 32,
    }),
    risk: 'Medium',
    scope: 'location',
    description: "Headers of the auth service's 2xx answer that are passed on to the pods.",
    example: 'X-Auth-Request-User, X-Auth-Request-Email',
  },
  'auth-request-redirect': {
    schema: requestRedirect,
    risk: 'Medium',
    scope: 'location',
    description:
      'Value of the X-Auth-Request-Redirect header sent to the auth service (default: the request URI).',
    example: 'https://app.example.com/',
  },
  'auth-cache-key': {
    schema: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .regex(
        CACHE_KEY,
        'must be letters, digits, ._:/- and the variables $http_*, $cookie_*, $arg_*, $remote_user, $remote_addr, $host, $uri, $request_uri, $args, $scheme, $request_method',
      )
      .max(256, 'must be at most 256 characters'),
    risk: 'Medium',
    scope: 'location',
    description:
      "Caches the auth service's verdicts under this key (per Ingress and host: tenants never share verdicts).",
    example: '$remote_user$http_authorization',
  },
  'auth-cache-duration': {
    schema: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim().replace(/\s+/g, ' ')))
      .pipe(
        z
          .array(
            z
              .string()
              .regex(
                CACHE_VALID,
                'must be comma-separated "[codes] time" entries, e.g. "200 202 10m, 401 5m"',
              ),
          )
          .min(1)
          .max(16),
      ),
    risk: 'Medium',
    scope: 'location',
    description:
      'How long cached verdicts are kept, per status: proxy_cache_valid entries, comma-separated (default "200 202 401 5m").',
    example: '200 202 10m, 401 5m',
  },
  'auth-keepalive': {
    schema: int(0, 1024),
    risk: 'Low',
    scope: 'location',
    description: 'Idle keep-alive connections kept to the auth service (default 0: none).',
    example: '10',
  },
  'auth-keepalive-share-vars': {
    schema: bool,
    risk: 'Low',
    scope: 'location',
    description:
      "Accepted for compatibility: the auth request always shares the request's variables here (the same X-Request-ID).",
    example: 'true',
  },
  'auth-keepalive-requests': {
    schema: int(1, 1_000_000),
    risk: 'Low',
    scope: 'location',
    description: 'Requests one keep-alive connection to the auth service serves (default 1000).',
    example: '1000',
  },
  'auth-keepalive-timeout': {
    schema: int(1, 86_400),
    risk: 'Low',
    scope: 'location',
    description: 'Seconds an idle keep-alive connection to the auth service stays open (default 60).',
    example: '60',
  },
  'auth-always-set-cookie': {
    schema: bool,
    risk: 'Low',
    scope: 'location',
    description: "Pass the auth service's Set-Cookie on every answer, not only successful ones.",
    example: 'true',
  },
  'auth-proxy-set-headers': {
    schema: configMapRef,
    risk: 'Medium',
    scope: 'location',
    description:
      "ConfigMap (in the Ingress's namespace) whose entries are request headers sent to the auth service.",
    example: 'auth-headers',
  },
  'enable-global-auth': {
    schema: bool,
    risk: 'Low',
    scope: 'location',
    description: "Whether the ConfigMap's global-auth-url protects this Ingress (default true).",
    example: 'false',
  },
} satisfies Record<string, KeyDef<unknown>>;

export const DEFAULT_CACHE_VALID = ['200 202 401 5m'];
const DEFAULT_SIGNIN_PARAM = 'rd';

export const externalAuthFamily = defineFamily({
  concern: 'externalAuth',
  keys: EXTERNAL_AUTH_KEYS,
  build: (v, { namespace, report }): ExternalAuthAnnotations => {
    const globalAuth = v['enable-global-auth'] ?? true;
    const raw = v['auth-url'];
    if (raw === undefined) {
      for (const key of Object.keys(v))
        if (key !== 'enable-global-auth' && key !== 'auth-keepalive-share-vars')
          report(key, 'ignored without auth-url', 'warning');
      return { globalAuth };
    }
    const parsed = new URL(raw);
    const https = parsed.protocol === 'https:';
    const ref = v['auth-proxy-set-headers'];
    if (ref?.namespace !== undefined && ref.namespace !== namespace)
      report('auth-proxy-set-headers', "must name a ConfigMap in the Ingress's own namespace");
    const signin = v['auth-signin'];
    const param = v['auth-signin-redirect-param'] ?? DEFAULT_SIGNIN_PARAM;
    const connections = v['auth-keepalive'] ?? 0;
    const cacheKey = v['auth-cache-key'];
    if (cacheKey === undefined && v['auth-cache-duration'] !== undefined)
      report('auth-cache-duration', 'ignored without auth-cache-key', 'warning');
    return {
      globalAuth,
      service: {
        url: {
          https,
          // The resolver looks names up without the root's trailing dot.
          hostname: parsed.hostname.replace(/\.$/, ''),
          port: parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port),
          uri: `${parsed.pathname}${parsed.search}`,
        },
        ...(v['auth-method'] !== undefined && { method: v['auth-method'] }),
        ...(signin !== undefined && { signin: withOriginalUrl(signin, param) }),
        ...(v['auth-request-redirect'] !== undefined && { requestRedirect: v['auth-request-redirect'] }),
        responseHeaders: v['auth-response-headers'] ?? [],
        ...(ref !== undefined && { proxySetHeaders: ref.name }),
        ...(cacheKey !== undefined && {
          cache: { key: cacheKey, valid: v['auth-cache-duration'] ?? DEFAULT_CACHE_VALID },
        }),
        ...(connections > 0 && {
          keepalive: {
            connections,
            requests: v['auth-keepalive-requests'] ?? 1000,
            timeoutSeconds: v['auth-keepalive-timeout'] ?? 60,
          },
        }),
        alwaysSetCookie: v['auth-always-set-cookie'] ?? false,
      },
    };
  },
});

/** Adds `param=<original URL>` to a sign-in URL that does not carry it yet, as ingress-nginx does. */
function withOriginalUrl(signin: string, param: string): string {
  const query = signin.includes('?') ? signin.slice(signin.indexOf('?') + 1) : '';
  if (query.split('&').some((p) => p.startsWith(`${param}=`))) return signin;
  const original = '$scheme://$gatehouse_host$gatehouse_escaped_request_uri';
  return `${signin}${signin.includes('?') ? '&' : '?'}${param}=${original}`;
}
