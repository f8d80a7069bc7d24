import { z } from 'zod';
import type { BackendProtocol } from '../model/nginx.ts';
import { cidr } from '../translate/validators.ts';

export const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/** What an Ingress's annotations change for every location it contributes. Unset means "use the default". */
export interface AnnotationSettings {
  sslRedirect?: boolean;
  forceSslRedirect?: boolean;
  proxyConnectTimeoutSeconds?: number;
  proxyReadTimeoutSeconds?: number;
  proxySendTimeoutSeconds?: number;
  proxyBodySize?: string;
  proxyBuffering?: boolean;
  backendProtocol?: BackendProtocol;
  allowSourceRanges?: readonly string[];
}

export type Risk = 'low' | 'medium' | 'critical';

/** One annotation key: how its value is validated, what it sets, how risky it is, and its documentation. */
export interface AnnotationSpec {
  /** The key without the `nginx.ingress.kubernetes.io/` prefix. */
  readonly name: string;
  readonly risk: Risk;
  readonly description: string;
  readonly example: string;
  /** Set on an old name: the current name, which wins when both are set. */
  readonly aliasOf?: string;
  /** Validates the value; on success writes it into the settings. */
  readonly parse: (
    value: string,
  ) => { ok: true; settings: AnnotationSettings } | { ok: false; reason: string };
}

function spec<T>(
  name: string,
  risk: Risk,
  description: string,
  example: string,
  schema: z.ZodType<T>,
  set: (v: T) => AnnotationSettings,
): AnnotationSpec {
  return {
    name,
    risk,
    description,
    example,
    parse(value) {
      const result = schema.safeParse(value);
      return result.success
        ? { ok: true, settings: set(result.data) }
        : { ok: false, reason: result.error.issues[0]?.message ?? 'invalid value' };
    },
  };
}

const bool = z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).transform((v) => v === 'true');
const seconds = z
  .string()
  .regex(/^\d{1,4}s?$/, 'must be a whole number of seconds (1-3600), optionally ending in "s"')
  .transform((v) => Number(v.replace(/s$/, '')))
  .refine((n) => n >= 1 && n <= 3600, { message: 'must be between 1 and 3600 seconds' });
// The message belongs on each element: on the array it only covers a non-array, never a bad CIDR.
const sourceRanges = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(
    z
      .array(
        z.string().refine((s) => cidr.safeParse(s).success, {
          message: 'must be a comma-separated list of IP addresses or CIDRs',
        }),
      )
      .min(1, 'must list at least one IP address or CIDR')
      .max(256, 'must list at most 256 addresses or CIDRs'),
  );
const size = z.string().regex(/^(0|[1-9]\d{0,5}[kKmMgG]?)$/, 'must be a size such as 0, 512k, 8m or 1g');

/** Every annotation Gatehouse understands, sorted by name. The README table is generated from this list. */
export const ANNOTATIONS: readonly AnnotationSpec[] = [
  spec(
    'allowlist-source-range',
    'low',
    'Comma-separated CIDRs allowed to reach the Ingress; others get 403.',
    '10.0.0.0/8,192.168.1.1',
    sourceRanges,
    (v) => ({ allowSourceRanges: [...new Set(v)].sort() }),
  ),
  spec(
    'backend-protocol',
    'low',
    'Protocol NGINX speaks to the pods: HTTP or HTTPS.',
    'HTTPS',
    z.enum(['HTTP', 'HTTPS'], { error: 'must be HTTP or HTTPS' }),
    (v) => ({ backendProtocol: v }),
  ),
  spec(
    'force-ssl-redirect',
    'low',
    'Redirect HTTP to HTTPS (308) even when the Ingress has no TLS section.',
    'true',
    bool,
    (v) => ({ forceSslRedirect: v }),
  ),
  spec('proxy-body-size', 'low', 'Largest request body allowed (client_max_body_size).', '8m', size, (v) => ({
    proxyBodySize: v.toLowerCase(),
  })),
  spec(
    'proxy-buffering',
    'low',
    'Buffer responses from the pods: "on" or "off".',
    'off',
    z.enum(['on', 'off'], {
      error: 'must be "on" or "off"',
    }),
    (v) => ({ proxyBuffering: v === 'on' }),
  ),
  spec('proxy-connect-timeout', 'low', 'Seconds to wait for a connection to a pod.', '5', seconds, (v) => ({
    proxyConnectTimeoutSeconds: v,
  })),
  spec('proxy-read-timeout', 'low', 'Seconds to wait between two reads from a pod.', '60', seconds, (v) => ({
    proxyReadTimeoutSeconds: v,
  })),
  spec('proxy-send-timeout', 'low', 'Seconds to wait between two writes to a pod.', '60', seconds, (v) => ({
    proxySendTimeoutSeconds: v,
  })),
  spec(
    'ssl-redirect',
    'low',
    'Redirect HTTP to HTTPS (308) when the host has TLS. Default true.',
    'false',
    bool,
    (v) => ({ sslRedirect: v }),
  ),
  {
    ...spec(
      'whitelist-source-range',
      'low',
      'Old name of allowlist-source-range; ignored when that is also set.',
      '10.0.0.0/8',
      sourceRanges,
      (v) => ({ allowSourceRanges: [...new Set(v)].sort() }),
    ),
    aliasOf: 'allowlist-source-range',
  },
];

/**
 * Annotations that paste raw NGINX configuration. They are how ingress-nginx's injection CVEs happened;
 * Gatehouse never renders them and rejects an Ingress that carries one, rather than silently dropping
 * what might be an access control.
 */
export const SNIPPET_ANNOTATIONS: readonly string[] = [
  'auth-snippet',
  'configuration-snippet',
  'modsecurity-snippet',
  'server-snippet',
  'stream-snippet',
];

/**
 * ingress-nginx annotations that restrict who may reach a path, which Gatehouse does not implement yet.
 * Ignoring one would quietly open what the Ingress meant to protect, so an Ingress carrying one is
 * rejected instead, like a snippet.
 */
export const UNSUPPORTED_ACCESS_CONTROL: readonly string[] = [
  'auth-realm',
  'auth-secret',
  'auth-secret-type',
  'auth-signin',
  'auth-tls-secret',
  'auth-tls-verify-client',
  'auth-type',
  'auth-url',
  'denylist-source-range',
  'enable-global-auth',
  'global-rate-limit',
  'limit-connections',
  'limit-rpm',
  'limit-rps',
  'satisfy',
];

const byName = new Map(ANNOTATIONS.map((a) => [a.name, a]));

export function lookupAnnotation(name: string): AnnotationSpec | undefined {
  return byName.get(name);
}
