import { z } from 'zod';
import type { Affinity } from '../model/nginx.ts';
import { defineFamily } from './spec.ts';
import { bool, int } from './values.ts';

/**
 * Cookie session affinity (`affinity: cookie`): the first answer sets a cookie naming the pod (persistent)
 * or a key the pods are hashed on (balanced), and later requests carrying it go to the same pod while it
 * is ready. lua/gatehouse/balancer.lua does it, from the dynamic state.
 */
export type AffinityAnnotations = Omit<Affinity, 'path'> & {
  /** Cookie Path; default: the Ingress path (`/` for a regex path). */
  readonly path?: string;
};

export const DEFAULT_AFFINITY_COOKIE = 'INGRESSCOOKIE';
const MAX_COOKIE_SECONDS = 2_147_483_647;

/** ingress-nginx's BasicChars (cookie name, domain) held to what a cookie attribute may carry. */
const cookieName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.~-]{1,64}$/, 'must be a cookie name (letters, digits and - . _ ~)');

const cookiePath = z
  .string()
  .trim()
  .regex(
    /^\/[A-Za-z0-9/\-._~:]{0,255}$/,
    'must be a path of letters, digits and / - . _ ~ : starting with /',
  );

const cookieDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^\.?[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/,
    'must be a domain name such as example.com or .example.com',
  );

const seconds = int(0, MAX_COOKIE_SECONDS);

export const affinityFamily = defineFamily({
  concern: 'affinity',
  keys: {
    affinity: {
      schema: z
        .string()
        .trim()
        .pipe(z.enum(['cookie'], { error: 'must be "cookie"' })),
      risk: 'Low',
      scope: 'location',
      description: 'Keep each client on one pod with a cookie: the only type is "cookie".',
      example: 'cookie',
    },
    'affinity-mode': {
      schema: z
        .string()
        .trim()
        .pipe(z.enum(['balanced', 'persistent'], { error: 'must be "balanced" or "persistent"' })),
      risk: 'Low',
      scope: 'location',
      description:
        'Balanced (default): adding pods moves some sessions to the new ones; persistent: a session stays on its pod while it is ready.',
      example: 'persistent',
    },
    'session-cookie-name': {
      schema: cookieName,
      risk: 'Medium',
      scope: 'location',
      description: `Name of the affinity cookie (default ${DEFAULT_AFFINITY_COOKIE}).`,
      example: 'route',
    },
    'session-cookie-path': {
      schema: cookiePath,
      risk: 'Medium',
      scope: 'location',
      description: 'Path of the affinity cookie (default: the Ingress path; / for regex paths).',
      example: '/app',
    },
    'session-cookie-domain': {
      schema: cookieDomain,
      risk: 'Medium',
      scope: 'location',
      description: 'Domain of the affinity cookie (default: none, the host only).',
      example: '.example.com',
    },
    'session-cookie-max-age': {
      schema: seconds,
      risk: 'Low',
      scope: 'location',
      description: 'Max-Age of the affinity cookie, in seconds (default: a session cookie).',
      example: '172800',
    },
    'session-cookie-expires': {
      schema: seconds,
      risk: 'Low',
      scope: 'location',
      description: 'Seconds until the affinity cookie expires (its Expires attribute).',
      example: '172800',
    },
    'session-cookie-samesite': {
      schema: z
        .string()
        .trim()
        .transform((v) => v.toLowerCase())
        .pipe(z.enum(['none', 'lax', 'strict'], { error: 'must be "None", "Lax" or "Strict"' }))
        .transform((v) => (v === 'none' ? 'None' : v === 'lax' ? 'Lax' : 'Strict')),
      risk: 'Low',
      scope: 'location',
      description: 'SameSite attribute of the affinity cookie: None, Lax or Strict.',
      example: 'Lax',
    },
    'session-cookie-conditional-samesite-none': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Leave out SameSite=None for browsers known to reject such cookies.',
      example: 'true',
    },
    'session-cookie-secure': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Secure attribute of the affinity cookie (default: set on HTTPS requests).',
      example: 'true',
    },
    'session-cookie-change-on-failure': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        "When the session's pod fails and another answers, the cookie moves to that pod (default: it keeps the first).",
      example: 'true',
    },
  },
  build: (v, { report }): AffinityAnnotations | undefined => {
    if (v.affinity === undefined) {
      const set = Object.keys(v).sort();
      if (set.length > 0) report(set[0] ?? 'affinity', 'has no effect without affinity: "cookie"', 'warning');
      return undefined;
    }
    return {
      mode: v['affinity-mode'] ?? 'balanced',
      cookieName: v['session-cookie-name'] ?? DEFAULT_AFFINITY_COOKIE,
      ...(v['session-cookie-path'] !== undefined && { path: v['session-cookie-path'] }),
      ...(v['session-cookie-domain'] !== undefined && { domain: v['session-cookie-domain'] }),
      ...(v['session-cookie-max-age'] !== undefined && { maxAgeSeconds: v['session-cookie-max-age'] }),
      ...(v['session-cookie-expires'] !== undefined && { expiresSeconds: v['session-cookie-expires'] }),
      ...(v['session-cookie-samesite'] !== undefined && { sameSite: v['session-cookie-samesite'] }),
      conditionalSameSiteNone: v['session-cookie-conditional-samesite-none'] ?? false,
      ...(v['session-cookie-secure'] !== undefined && { secure: v['session-cookie-secure'] }),
      changeOnFailure: v['session-cookie-change-on-failure'] ?? false,
    };
  },
});
