import { z } from 'zod';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Diagnostic } from '../model/diagnostics.ts';
import { DEFAULT_ANNOTATION_POLICY, type AnnotationPolicy } from '../annotations/parse-annotations.ts';
import {
  EXTERNAL_AUTH_KEYS,
  externalAuthFamily,
  type ExternalAuthService,
} from '../annotations/external-auth.ts';
import { modsecurityRules } from '../annotations/modsecurity-rules.ts';
import { PROXY_KEYS, proxyFamily } from '../annotations/proxy.ts';
import { RISK_LEVELS } from '../annotations/spec.ts';
import {
  bufferSize,
  cipherList,
  commaList,
  list,
  sourceRangeList,
  tlsProtocols,
} from '../annotations/values.ts';
import { parseLogFormat } from './log-format.ts';
import type { GlobalSettings, LoadBalance, ProxyTuning, UserAgentMatch } from '../model/nginx.ts';
import { loadBalance } from '../annotations/balance.ts';

/** Settings from the controller's ConfigMap (`--configmap`): NGINX-wide values and per-location defaults. */
export interface GlobalConfig {
  readonly global: GlobalSettings;
  /** Defaults of annotations that are not proxy tuning (those are `global.proxy`). */
  readonly locationDefaults: {
    readonly sslRedirect: boolean;
    /** Allow- and denylist of every location whose Ingress sets none (empty: none). */
    readonly allowSourceRanges: readonly string[];
    readonly denySourceRanges: readonly string[];
  };
  /** Where the client address comes from; `global.realIpFrom` is derived from it. */
  readonly realIp: {
    /** `enable-real-ip`: trust `realIpHeader` from `trustedCidrs` even without `use-forwarded-headers`. */
    readonly enabled: boolean;
    /** `proxy-real-ip-cidr`. */
    readonly trustedCidrs: readonly string[];
  };
  /** The pods' keep-alive pool (`upstream-keepalive-*`). */
  readonly upstreamKeepalive: {
    readonly keepaliveConnections: number;
    readonly keepaliveTimeoutSeconds: number;
    readonly keepaliveRequests: number;
  };
  /** `load-balance`: how pods are picked where an Ingress does not say. */
  readonly loadBalance: LoadBalance;
  /** Response header names Ingresses may set with custom-headers (ingress-nginx's allowlist). */
  readonly allowedResponseHeaders: readonly string[];
  readonly tenancy: Tenancy;
  /** What annotations may ask for (`annotations-risk-level`). */
  readonly annotations: AnnotationPolicy;
  /**
   * The auth service (`global-auth-*`) of every Ingress without its own auth-url that does not opt out
   * (enable-global-auth). `invalid`: set but unusable; the locations it protects answer 503, never open.
   */
  readonly globalAuth?: ExternalAuthService | { readonly invalid: string };
  /** Path prefixes global auth leaves open (`no-auth-locations`). */
  readonly noAuthLocations: readonly string[];
  /** ModSecurity for every location (`enable-modsecurity`), the Core Rule Set, and the admin's rules. */
  readonly modsecurity: { readonly enabled: boolean; readonly coreRules: boolean; readonly rules?: string };
}

/** What one tenant may cost or claim: limits that keep one object from harming the others. */
export interface Tenancy {
  /** A host belongs to the namespace of its oldest Ingress; other namespaces may not add rules to it. */
  readonly hostNamespaceIsolation: boolean;
  /** Paths one Ingress may list (all rules together); more rejects the Ingress. */
  readonly maxPathsPerIngress: number;
  /** Distinct hosts one Ingress may list (rules and TLS); more rejects the Ingress. */
  readonly maxHostsPerIngress: number;
  /** Bytes the rendered nginx.conf may reach; the newest Ingresses beyond it are left out. */
  readonly maxConfigBytes: number;
}

/**
 * TLS 1.2 ciphers offered by default: forward-secret AEAD suites only (ingress-nginx's default list), so no
 * CBC or SHA-1 suite is negotiated unless an admin asks for one with `ssl-ciphers`.
 */
export const DEFAULT_SSL_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** ingress-nginx's default `gzip-types`. */
const DEFAULT_GZIP_TYPES = [
  'application/atom+xml',
  'application/javascript',
  'application/json',
  'application/rss+xml',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'application/x-javascript',
  'application/x-web-app-manifest+json',
  'application/xhtml+xml',
  'application/xml',
  'font/opentype',
  'image/svg+xml',
  'image/x-icon',
  'text/css',
  'text/javascript',
  'text/plain',
  'text/x-component',
];
const MIME_TYPE = /^[a-z0-9][a-z0-9.+-]{0,63}\/[a-z0-9*][a-z0-9.+-]{0,127}$/;

/**
 * A `block-user-agents` entry: `~regex` or `~*regex` (it must compile, and its characters stay clear of
 * NGINX's quoting: no `"`, and `\\` only before a regex metacharacter or class), or an exact value.
 */
const userAgent = z
  .string()
  .max(256, 'must be at most 256 characters')
  .transform((v, ctx): UserAgentMatch => {
    const regex = /^(~\*?)(.+)$/.exec(v);
    if (regex === null) {
      if (/^[A-Za-z0-9 ._/();:+-]+$/.test(v)) return { match: 'exact', value: v };
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" must be a User-Agent of letters, digits and ._/();:+- or a regex after ~ or ~*`,
      });
      return z.NEVER;
    }
    const [, match, pattern] = regex as unknown as [string, '~' | '~*', string];
    const safe = /^(?:[A-Za-z0-9 ._/();:+\-|*?^$[\]{},=!<>]|\\[.\-/()[\]{}*+?|^$dDsSwWb])+$/.test(pattern);
    if (!safe || !compiles(pattern)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a regex Gatehouse accepts (no quotes, backslash only before a metacharacter or class)`,
      });
      return z.NEVER;
    }
    return { match, value: pattern };
  });
const userAgentList = commaList(userAgent, { max: 256 });

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * The proxy keys' defaults, as ingress-nginx documents them and an admin would write them in the ConfigMap
 * (the same keys set them there). `proxy-busy-buffers-size` has none: NGINX derives it from the buffers.
 */
export const PROXY_DEFAULTS: Readonly<Partial<Record<keyof typeof PROXY_KEYS, string>>> = {
  'client-body-buffer-size': '8k',
  'proxy-body-size': '1m',
  'proxy-buffer-size': '4k',
  'proxy-buffering': 'off',
  'proxy-buffers-number': '4',
  'proxy-connect-timeout': '5',
  'proxy-cookie-domain': 'off',
  'proxy-cookie-path': 'off',
  'proxy-http-version': '1.1',
  'proxy-max-temp-file-size': '1024m',
  'proxy-next-upstream': 'error timeout',
  'proxy-next-upstream-timeout': '0',
  'proxy-next-upstream-tries': '3',
  'proxy-read-timeout': '60',
  'proxy-redirect-from': 'off',
  'proxy-request-buffering': 'on',
  'proxy-send-timeout': '60',
};

function defaultProxyTuning(): ProxyTuning {
  const parsed = proxyFamily.parse(new Map(Object.entries(PROXY_DEFAULTS)), '');
  if (parsed.settings === undefined)
    throw new Error(`bad proxy defaults: ${JSON.stringify(parsed.problems)}`);
  return parsed.settings as ProxyTuning;
}

export const DEFAULT_GLOBAL_CONFIG: GlobalConfig = {
  global: {
    workerProcesses: 'auto',
    workerConnections: 16384,
    keepaliveTimeoutSeconds: 75,
    serverNamesHashBucketSize: 128,
    useForwardedHeaders: false,
    accessLog: true,
    generateRequestId: true,
    sslProtocols: ['TLSv1.2', 'TLSv1.3'],
    sslCiphers: DEFAULT_SSL_CIPHERS,
    hsts: true,
    hstsMaxAgeSeconds: 31536000,
    hstsIncludeSubdomains: true,
    hstsPreload: false,
    keepaliveRequests: 1000,
    serverTokens: false,
    portInRedirects: false,
    client: {
      headerBufferSize: '1k',
      largeHeaderBuffers: { count: 4, size: '8k' },
      headerTimeoutSeconds: 60,
      bodyTimeoutSeconds: 60,
    },
    computeFullForwardedFor: false,
    blockCidrs: [],
    blockUserAgents: [],
    gzip: { enabled: false, level: 1, minLength: 256, types: DEFAULT_GZIP_TYPES },
    http2: true,
    ipv6: true,
    realIpFrom: [],
    realIpHeader: 'X-Forwarded-For',
    limitReqStatus: 503,
    limitConnStatus: 503,
    proxy: defaultProxyTuning(),
    workerShutdownTimeoutSeconds: 240,
  },
  locationDefaults: { sslRedirect: true, allowSourceRanges: [], denySourceRanges: [] },
  realIp: { enabled: false, trustedCidrs: ['0.0.0.0/0'] },
  upstreamKeepalive: { keepaliveConnections: 320, keepaliveTimeoutSeconds: 60, keepaliveRequests: 10000 },
  loadBalance: 'round_robin',
  allowedResponseHeaders: [],
  annotations: DEFAULT_ANNOTATION_POLICY,
  noAuthLocations: ['/.well-known/acme-challenge'],
  modsecurity: { enabled: false, coreRules: false },
  tenancy: {
    hostNamespaceIsolation: false,
    maxPathsPerIngress: 1000,
    maxHostsPerIngress: 100,
    maxConfigBytes: 256 * 1024 * 1024,
  },
};

const bool = z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).transform((v) => v === 'true');
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });
const seconds = z
  .string()
  .regex(/^\d{1,5}s?$/, 'must be a whole number of seconds')
  .transform((v) => Number(v.replace(/s$/, '')))
  .refine((n) => n >= 1 && n <= 86400, { message: 'must be between 1 and 86400 seconds' });

/** Applies a key's value (or says why it cannot); `schema` is the value's check (the chart's schema comes from it). */
type Setter = ((c: Mutable<GlobalConfig>, value: string) => string | undefined) & {
  readonly schema: z.ZodType;
};
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function key<T>(schema: z.ZodType<T>, set: (c: Mutable<GlobalConfig>, v: T) => void): Setter {
  const apply = (c: Mutable<GlobalConfig>, value: string): string | undefined => {
    const r = schema.safeParse(value);
    if (!r.success) return r.error.issues[0]?.message ?? 'invalid value';
    set(c, r.data);
    return undefined;
  };
  return Object.assign(apply, { schema });
}

/** The auth-url keys ingress-nginx also takes globally, as `global-auth-*`. */
const GLOBAL_AUTH_KEYS = [
  'auth-url',
  'auth-method',
  'auth-signin',
  'auth-signin-redirect-param',
  'auth-response-headers',
  'auth-request-redirect',
  'auth-cache-key',
  'auth-cache-duration',
  'auth-always-set-cookie',
] as const;

/** ConfigMap keys, named as in ingress-nginx so an existing ConfigMap carries over. */
export const CONFIGMAP_KEYS: Readonly<Record<string, { readonly doc: string; readonly set: Setter }>> = {
  'worker-processes': {
    doc: 'NGINX worker processes: a number or "auto".',
    set: key(
      z.union([z.literal('auto'), int(1, 512).transform(String)], {
        error: 'must be "auto" or a whole number between 1 and 512',
      }),
      (c, v) => (c.global.workerProcesses = v),
    ),
  },
  'max-worker-connections': {
    doc: 'Connections each worker may hold.',
    set: key(int(512, 1048576), (c, v) => (c.global.workerConnections = v)),
  },
  'keep-alive': {
    doc: 'Seconds a client keep-alive connection stays open.',
    set: key(seconds, (c, v) => (c.global.keepaliveTimeoutSeconds = v)),
  },
  'keep-alive-requests': {
    doc: 'Requests one client keep-alive connection may carry.',
    set: key(int(1, 1000000), (c, v) => (c.global.keepaliveRequests = v)),
  },
  'server-tokens': {
    doc: "Show NGINX's version in the Server header and on error pages.",
    set: key(bool, (c, v) => (c.global.serverTokens = v)),
  },
  'client-header-buffer-size': {
    doc: 'Buffer for a client request header (`client_header_buffer_size`).',
    set: key(bufferSize, (c, v) => (c.global.client.headerBufferSize = v)),
  },
  'large-client-header-buffers': {
    doc: 'Number and size of the buffers for large client request headers, such as "4 8k".',
    set: key(
      z
        .string()
        .trim()
        .regex(/^\d{1,3}\s+\S+$/, 'must be a number and a size, such as "4 8k"')
        .transform((v) => v.split(/\s+/) as [string, string])
        .pipe(z.tuple([int(1, 128), bufferSize]))
        .transform(([count, size]) => ({ count, size })),
      (c, v) => (c.global.client.largeHeaderBuffers = v),
    ),
  },
  'client-header-timeout': {
    doc: 'Seconds a client may take to send its request header.',
    set: key(seconds, (c, v) => (c.global.client.headerTimeoutSeconds = v)),
  },
  'client-body-timeout': {
    doc: 'Seconds a client may pause between two reads of its request body.',
    set: key(seconds, (c, v) => (c.global.client.bodyTimeoutSeconds = v)),
  },
  'use-gzip': {
    doc: 'Compress responses of the `gzip-types` with gzip.',
    set: key(bool, (c, v) => (c.global.gzip.enabled = v)),
  },
  'gzip-level': {
    doc: 'gzip compression level, 1 (fastest) to 9.',
    set: key(int(1, 9), (c, v) => (c.global.gzip.level = v)),
  },
  'gzip-min-length': {
    doc: 'Smallest response (bytes, by its Content-Length) that is compressed.',
    set: key(int(0, 1000000000), (c, v) => (c.global.gzip.minLength = v)),
  },
  'gzip-types': {
    doc: 'Space-separated MIME types compressed (text/html always is).',
    set: key(
      list(z.string().regex(MIME_TYPE, 'must be MIME types such as text/css or application/json'), {
        max: 128,
      }),
      (c, v) => (c.global.gzip.types = [...new Set(v)].sort()),
    ),
  },
  'compute-full-forwarded-for': {
    doc: 'With use-forwarded-headers: X-Forwarded-For carries the chain the trusted proxies sent plus the peer, instead of the client address alone.',
    set: key(bool, (c, v) => (c.global.computeFullForwardedFor = v)),
  },
  'block-cidrs': {
    doc: 'Comma-separated IP addresses or CIDRs refused (403) on every host.',
    set: key(sourceRangeList, (c, v) => (c.global.blockCidrs = v)),
  },
  'block-user-agents': {
    doc: 'Comma-separated User-Agent values refused (403) on every host: an exact value, or a regex after `~` (case-sensitive) or `~*`.',
    set: key(userAgentList, (c, v) => (c.global.blockUserAgents = v)),
  },
  'log-format-upstream': {
    doc: "The access log's format: text and NGINX variables (`$remote_addr`, `$http_<header>`, …); ingress-nginx's `$req_id`, `$proxy_upstream_name`, `$proxy_alternative_upstream_name` and `$the_real_ip` are taken too.",
    set: key(
      z.string().transform((v, ctx) => {
        const parsed = parseLogFormat(v);
        if ('format' in parsed) return parsed.format;
        ctx.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }),
      (c, v) => (c.global.accessLogFormat = v),
    ),
  },
  'server-names-hash-bucket-size': {
    doc: 'Smallest server_names_hash_bucket_size; Gatehouse raises it to fit the longest host (up to 253 characters).',
    set: key(
      z.enum(['32', '64', '128', '256', '512']).transform(Number),
      (c, v) => (c.global.serverNamesHashBucketSize = v),
    ),
  },
  'use-forwarded-headers': {
    doc: 'Trust X-Forwarded-* headers from clients (only behind a trusted proxy); the client address (allow- and denylists, X-Real-IP) is then the one in `forwarded-for-header`, as sent by the proxies of `proxy-real-ip-cidr`.',
    set: key(bool, (c, v) => (c.global.useForwardedHeaders = v)),
  },
  'enable-real-ip': {
    doc: 'Take the client address from `forwarded-for-header` (sent by the proxies of `proxy-real-ip-cidr`) even without `use-forwarded-headers`.',
    set: key(bool, (c, v) => (c.realIp.enabled = v)),
  },
  'proxy-real-ip-cidr': {
    doc: 'Comma-separated addresses or CIDRs of the proxies trusted to report the client address. The default trusts every peer, as in ingress-nginx: narrow it to your load balancers, or any client can name itself.',
    set: key(sourceRangeList, (c, v) => (c.realIp.trustedCidrs = v)),
  },
  'forwarded-for-header': {
    doc: 'Header the trusted proxies put the client address in.',
    set: key(
      z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name (letters, digits and "-")'),
      (c, v) => (c.global.realIpHeader = v),
    ),
  },
  'whitelist-source-range': {
    doc: 'Default allowlist (comma-separated IP addresses or CIDRs) of every Ingress that sets no allowlist-source-range.',
    set: key(sourceRangeList, (c, v) => (c.locationDefaults.allowSourceRanges = v)),
  },
  'denylist-source-range': {
    doc: 'Default denylist (comma-separated IP addresses or CIDRs) of every Ingress that sets no denylist-source-range.',
    set: key(sourceRangeList, (c, v) => (c.locationDefaults.denySourceRanges = v)),
  },
  'disable-access-log': {
    doc: 'Turn the access log off.',
    set: key(bool, (c, v) => (c.global.accessLog = !v)),
  },
  'generate-request-id': {
    doc: 'Give a request that brings no X-Request-ID a new one (sent to the pods as X-Request-ID, logged as `request_id`). `false`: such a request has none, which saves a Lua call per request.',
    set: key(bool, (c, v) => (c.global.generateRequestId = v)),
  },
  'ssl-protocols': {
    doc: 'Space-separated TLS versions, from TLSv1.2 and TLSv1.3.',
    set: key(tlsProtocols, (c, v) => (c.global.sslProtocols = v)),
  },
  'ssl-ciphers': {
    doc: 'OpenSSL cipher list offered to TLS 1.2 clients (colon-separated, as `openssl ciphers` takes it). The default offers only forward-secret AEAD suites.',
    set: key(cipherList, (c, v) => (c.global.sslCiphers = v)),
  },
  'host-namespace-isolation': {
    doc: 'Keep each host to the namespace of its oldest Ingress: Ingresses in other namespaces cannot add paths (or TLS) to it. Off: any namespace may add paths a host does not serve yet, as in ingress-nginx.',
    set: key(bool, (c, v) => (c.tenancy.hostNamespaceIsolation = v)),
  },
  'max-paths-per-ingress': {
    doc: 'Paths one Ingress may list; an Ingress with more is rejected.',
    set: key(int(1, 100000), (c, v) => (c.tenancy.maxPathsPerIngress = v)),
  },
  'max-hosts-per-ingress': {
    doc: 'Distinct hosts one Ingress may list (rules and TLS); an Ingress with more is rejected.',
    set: key(int(1, 100000), (c, v) => (c.tenancy.maxHostsPerIngress = v)),
  },
  'max-config-size': {
    doc: 'Largest nginx.conf Gatehouse renders (a size such as 64m or 1g); the newest Ingresses that would push it over are left out.',
    set: key(
      z
        .string()
        .regex(/^[1-9]\d{0,5}[kKmMgG]?$/, 'must be a size such as 512k, 64m or 1g')
        .transform((v) => {
          const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[v.slice(-1).toLowerCase()] ?? 1;
          return (unit === 1 ? Number(v) : Number(v.slice(0, -1))) * unit;
        })
        .refine((n) => n >= 64 * 1024, { message: 'must be at least 64k' }),
      (c, v) => (c.tenancy.maxConfigBytes = v),
    ),
  },
  hsts: {
    doc: 'Send Strict-Transport-Security on HTTPS responses.',
    set: key(bool, (c, v) => (c.global.hsts = v)),
  },
  'hsts-include-subdomains': {
    doc: 'Add includeSubDomains to the Strict-Transport-Security header.',
    set: key(bool, (c, v) => (c.global.hstsIncludeSubdomains = v)),
  },
  'hsts-preload': {
    doc: 'Add preload to the Strict-Transport-Security header.',
    set: key(bool, (c, v) => (c.global.hstsPreload = v)),
  },
  'hsts-max-age': {
    doc: 'max-age of the Strict-Transport-Security header, in seconds.',
    set: key(int(0, 63072000), (c, v) => (c.global.hstsMaxAgeSeconds = v)),
  },
  'disable-ipv6': {
    doc: 'Do not listen on IPv6 (by default NGINX listens on IPv6 too when the host has it).',
    set: key(bool, (c, v) => (c.global.ipv6 = !v)),
  },
  'use-http2': {
    doc: 'Offer HTTP/2 to HTTPS clients (ALPN).',
    set: key(bool, (c, v) => (c.global.http2 = v)),
  },
  'worker-shutdown-timeout': {
    doc: 'Seconds NGINX workers may take to finish requests in flight when NGINX stops or reloads; then they close what is left.',
    set: key(seconds, (c, v) => (c.global.workerShutdownTimeoutSeconds = v)),
  },
  'use-port-in-redirects': {
    doc: 'Default for the use-port-in-redirects annotation: redirects NGINX issues (the HTTPS redirect among them) name the port NGINX listens on when it is not the default.',
    set: key(bool, (c, v) => (c.global.portInRedirects = v)),
  },
  'ssl-redirect': {
    doc: 'Default for the ssl-redirect annotation.',
    set: key(bool, (c, v) => (c.locationDefaults.sslRedirect = v)),
  },
  'global-allowed-response-headers': {
    doc: 'Comma-separated response header names Ingresses may set with the custom-headers annotation (none by default).',
    set: key(
      commaList(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a comma-separated list of header names'), {
        max: 256,
      }),
      (c, v) => (c.allowedResponseHeaders = [...new Set(v)].sort()),
    ),
  },
  'load-balance': {
    doc: 'How pods are picked: round_robin (default) or ewma (the less loaded of two, by recent response time).',
    set: key(loadBalance, (c, v) => (c.loadBalance = v)),
  },
  'upstream-keepalive-connections': {
    doc: 'Idle keep-alive connections to pods kept per worker (one pool shared by every backend).',
    set: key(int(0, 10000), (c, v) => (c.upstreamKeepalive.keepaliveConnections = v)),
  },
  'upstream-keepalive-timeout': {
    doc: 'Seconds an idle keep-alive connection to a pod stays open.',
    set: key(seconds, (c, v) => (c.upstreamKeepalive.keepaliveTimeoutSeconds = v)),
  },
  'upstream-keepalive-requests': {
    doc: 'Requests one keep-alive connection to a pod may carry before it is closed.',
    set: key(int(1, 1000000), (c, v) => (c.upstreamKeepalive.keepaliveRequests = v)),
  },
  'limit-req-status-code': {
    doc: 'Status a client gets when limit-rps or limit-rpm refuses its request (429 is common).',
    set: key(int(400, 599), (c, v) => (c.global.limitReqStatus = v)),
  },
  'limit-conn-status-code': {
    doc: 'Status a client gets when limit-connections refuses its request.',
    set: key(int(400, 599), (c, v) => (c.global.limitConnStatus = v)),
  },
  'annotations-risk-level': {
    doc: "Highest risk level an annotation may have (Low, Medium, High or Critical, as in ingress-nginx): an Ingress with a riskier annotation is refused, naming it. Each annotation's level is in the table above.",
    set: key(
      z.enum(RISK_LEVELS, { error: 'must be Low, Medium, High or Critical' }),
      (c, v) => (c.annotations.maxRisk = v),
    ),
  },
  ...globalAuthKeys(),
  'no-auth-locations': {
    doc: 'Comma-separated path prefixes that global-auth-url leaves open.',
    set: key(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== ''),
        )
        .pipe(
          z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]{0,255}$/, 'must be comma-separated paths')).max(64),
        ),
      (c, v) => (c.noAuthLocations = v),
    ),
  },
  'enable-modsecurity': {
    doc: 'ModSecurity on every path, with its recommended engine settings: detection only (logged), as in ingress-nginx, unless modsecurity-snippet says SecRuleEngine On. An Ingress\'s enable-modsecurity: "false" turns it off for its paths.',
    set: key(bool, (c, v) => (c.modsecurity.enabled = v)),
  },
  'enable-owasp-modsecurity-crs': {
    doc: "With enable-modsecurity: load the OWASP Core Rule Set (Debian's modsecurity-crs) for every path.",
    set: key(bool, (c, v) => (c.modsecurity.coreRules = v)),
  },
  'modsecurity-snippet': {
    doc: 'With enable-modsecurity: ModSecurity rules for every path, after the Core Rule Set (e.g. SecRuleEngine On, SecRuleRemoveById); the same directives as the annotation, in a rules file of their own.',
    set: key(modsecurityRules, (c, v) => (c.modsecurity.rules = v)),
  },
  'allow-snippet-annotations': {
    doc: 'Read snippet annotations at all (default "false"). They are Critical, so annotations-risk-level must be Critical too; Gatehouse then accepts only what its snippet parsers allow (modsecurity-snippet: ModSecurity rule directives, checked by ModSecurity when NGINX tests the config).',
    set: key(bool, (c, v) => (c.annotations.allowSnippets = v)),
  },
};

/**
 * `global-auth-*`: each checked by its annotation's schema here; `parseGlobalConfig` then builds them
 * together with the annotations' family.
 */
function globalAuthKeys(): Record<string, { doc: string; set: Setter }> {
  return Object.fromEntries(
    GLOBAL_AUTH_KEYS.map((k) => [
      `global-${k}`,
      {
        doc: `${k} of every Ingress without its own auth-url (unless enable-global-auth: "false"). ${EXTERNAL_AUTH_KEYS[k].description}`,
        set: key(EXTERNAL_AUTH_KEYS[k].schema as z.ZodType, () => undefined),
      },
    ]),
  );
}

/** Parses the controller ConfigMap; a bad key keeps its default and yields a diagnostic naming the key. */
export function parseGlobalConfig(cm: V1ConfigMap | undefined): {
  config: GlobalConfig;
  diagnostics: Diagnostic[];
} {
  const config = structuredClone(DEFAULT_GLOBAL_CONFIG) as Mutable<GlobalConfig>;
  const diagnostics: Diagnostic[] = [];
  if (cm === undefined) return { config, diagnostics };
  const object = {
    kind: 'ConfigMap',
    namespace: cm.metadata?.namespace ?? 'default',
    name: cm.metadata?.name ?? '',
  };
  const proxy = new Map<string, string>();
  const globalAuth = new Map<string, string>();
  let globalAuthError: string | undefined;
  for (const name of Object.keys(cm.data ?? {}).sort()) {
    const field = `data.${name}`;
    if (Object.hasOwn(PROXY_KEYS, name)) {
      proxy.set(name, cm.data?.[name] ?? '');
      continue;
    }
    const entry = Object.hasOwn(CONFIGMAP_KEYS, name) ? CONFIGMAP_KEYS[name] : undefined;
    if (entry === undefined) {
      diagnostics.push({
        severity: 'warning',
        object,
        field,
        reason: 'key is not supported and was ignored',
      });
      continue;
    }
    const error = entry.set(config, cm.data?.[name] ?? '');
    if (name.startsWith('global-auth-')) {
      globalAuth.set(name.slice('global-'.length), cm.data?.[name] ?? '');
      if (error !== undefined) {
        globalAuthError ??= `${name} ${error}`;
        diagnostics.push({ severity: 'error', object, field, reason: error });
      }
    } else if (error !== undefined)
      diagnostics.push({ severity: 'error', object, field, reason: `${error}; the default is used` });
  }
  const authParsed = globalAuthFrom(globalAuth, globalAuthError, object.namespace);
  for (const d of authParsed.problems) diagnostics.push({ ...d, object });
  if (authParsed.auth !== undefined) config.globalAuth = authParsed.auth;
  // The proxy keys are the proxy annotations' defaults, validated by the same family. A bad one keeps its
  // default and the others still apply: drop what failed and build again.
  for (;;) {
    const parsed = proxyFamily.parse(proxy, object.namespace);
    for (const p of parsed.problems)
      diagnostics.push({
        severity: p.severity,
        object,
        field: `data.${p.key}`,
        reason: p.severity === 'error' ? `${p.reason}; the default is used` : p.reason,
      });
    if (parsed.settings !== undefined) {
      Object.assign(config.global.proxy, parsed.settings);
      break;
    }
    const before = proxy.size;
    for (const p of parsed.problems) proxy.delete(p.key);
    if (proxy.size === before) break;
  }
  if (config.global.useForwardedHeaders || config.realIp.enabled)
    config.global.realIpFrom = [...config.realIp.trustedCidrs];
  return { config, diagnostics };
}

/**
 * Global auth from the `global-auth-*` values, built by the auth-url annotations' family. Once
 * global-auth-url is set, a mistake in any of them protects with 503 rather than leaving every site open.
 */
function globalAuthFrom(
  values: ReadonlyMap<string, string>,
  error: string | undefined,
  namespace: string,
): { auth?: GlobalConfig['globalAuth']; problems: Omit<Diagnostic, 'object'>[] } {
  if (values.size === 0) return { problems: [] };
  if (!values.has('auth-url'))
    return {
      problems: [...values.keys()].map((k) => ({
        severity: 'warning' as const,
        field: `data.global-${k}`,
        reason: 'ignored without global-auth-url',
      })),
    };
  const invalid = (reason: string) => ({
    auth: { invalid: reason },
    problems: [
      {
        severity: 'error' as const,
        field: 'data.global-auth-url',
        reason: `global auth is misconfigured (${reason}); the paths it protects answer 503 until it is fixed`,
      },
    ],
  });
  if (error !== undefined) return invalid(error);
  const parsed = externalAuthFamily.parse(values, namespace);
  const first = parsed.problems.find((p) => p.severity === 'error');
  if (first !== undefined || parsed.settings?.service === undefined)
    return invalid(first === undefined ? 'unusable' : `global-${first.key} ${first.reason}`);
  return {
    auth: parsed.settings.service,
    problems: parsed.problems.map((p) => ({
      severity: p.severity,
      field: `data.global-${p.key}`,
      reason: p.reason,
    })),
  };
}
