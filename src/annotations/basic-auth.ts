import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { ownSecret, secretReference } from './values.ts';

/**
 * HTTP basic or digest authentication from a Secret in the Ingress's own namespace (ingress-nginx's
 * auth-type, auth-secret, auth-secret-type, auth-realm): htpasswd users for basic, htdigest for digest.
 */
export interface BasicAuthAnnotations {
  readonly type: 'basic' | 'digest';
  readonly secret: string;
  /** `auth-file`: the htpasswd file in the Secret's `auth` key; `auth-map`: one key per user, the hash as value. */
  readonly secretType: 'auth-file' | 'auth-map';
  readonly realm: string;
}

/** What NGINX sends in `WWW-Authenticate` when the Ingress names no realm. */
export const DEFAULT_REALM = 'Authentication Required';

/**
 * Printed double-quoted into `auth_basic`, which expands variables: no `$`, quotes, backslashes, braces or
 * control characters.
 */
export const realm = z
  .string()
  .regex(/^[A-Za-z0-9 _.,:!?@()/+'-]{1,128}$/, "must be 1-128 letters, digits, spaces and _.,:!?@()/+'-");

export const basicAuthFamily = defineFamily({
  concern: 'basicAuth',
  keys: {
    'auth-type': {
      schema: z.enum(['basic', 'digest'], { error: 'must be "basic" or "digest"' }),
      risk: 'Low',
      scope: 'location',
      description:
        'Ask for a user name and password from auth-secret: "basic" (htpasswd users) or "digest" (htdigest users, MD5, checked by Gatehouse\'s Lua handler).',
      example: 'basic',
    },
    'auth-secret': {
      schema: secretReference,
      risk: 'Medium',
      scope: 'location',
      description:
        "Secret in the Ingress's namespace holding the users: htpasswd lines (bcrypt, SHA-2 crypt, apr1 or {SSHA} hashes) for basic, htdigest lines (user:realm:HA1) for digest.",
      example: 'basic-auth',
    },
    'auth-secret-type': {
      schema: z.enum(['auth-file', 'auth-map'], { error: 'must be "auth-file" or "auth-map"' }),
      risk: 'Low',
      scope: 'location',
      description:
        'Format of auth-secret: "auth-file" (default), an htpasswd (htdigest) file in its "auth" key; "auth-map", one key per user with the hash (realm:HA1) as value.',
      example: 'auth-map',
    },
    'auth-realm': {
      schema: realm,
      risk: 'Medium',
      scope: 'location',
      description: `Realm shown by the browser's password prompt (default "${DEFAULT_REALM}").`,
      example: 'Admins only',
    },
  },
  build: (v, context): BasicAuthAnnotations | undefined => {
    const type = v['auth-type'];
    if (type === undefined) {
      for (const key of ['auth-secret', 'auth-secret-type', 'auth-realm'] as const)
        if (v[key] !== undefined) context.report(key, 'ignored without auth-type', 'warning');
      return undefined;
    }
    const secret = v['auth-secret'];
    if (secret === undefined) {
      context.report('auth-type', 'needs auth-secret, the Secret holding the users');
      return undefined;
    }
    const name = ownSecret(secret, 'auth-secret', context);
    if (name === undefined) return undefined;
    return {
      type,
      secret: name,
      secretType: v['auth-secret-type'] ?? 'auth-file',
      realm: v['auth-realm'] ?? DEFAULT_REALM,
    };
  },
});
