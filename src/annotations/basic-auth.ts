import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { ownSecret, secretReference } from './values.ts';

/**
 * HTTP basic authentication from an htpasswd Secret in the Ingress's own namespace (ingress-nginx's
 * auth-type, auth-secret, auth-secret-type, auth-realm).
 */
export interface BasicAuthAnnotations {
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
        'Ask for a user name and password from auth-secret: "basic" ("digest" is refused: no Debian NGINX module).',
      example: 'basic',
    },
    'auth-secret': {
      schema: secretReference,
      risk: 'Medium',
      scope: 'location',
      description:
        "Secret in the Ingress's namespace holding the htpasswd users (bcrypt, SHA-2 crypt, apr1 or {SSHA} hashes).",
      example: 'basic-auth',
    },
    'auth-secret-type': {
      schema: z.enum(['auth-file', 'auth-map'], { error: 'must be "auth-file" or "auth-map"' }),
      risk: 'Low',
      scope: 'location',
      description:
        'Format of auth-secret: "auth-file" (default), an htpasswd file in its "auth" key; "auth-map", one key per user with the hash as value.',
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
    if (type === 'digest') {
      context.report(
        'auth-type',
        'digest authentication is not supported (Debian\'s NGINX has no digest module); use "basic" over HTTPS',
      );
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
      secret: name,
      secretType: v['auth-secret-type'] ?? 'auth-file',
      realm: v['auth-realm'] ?? DEFAULT_REALM,
    };
  },
});
