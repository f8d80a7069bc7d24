import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { absoluteUrl } from './url.ts';
import { bool, ownSecret, secretReference } from './values.ts';

/**
 * Client certificates (ingress-nginx's auth-tls-*): the host asks TLS clients for a certificate signed by
 * the CA bundle of a Secret in the Ingress's own namespace.
 */
export interface ClientCertAnnotations {
  readonly secret: string;
  readonly verify: 'on' | 'optional' | 'optional_no_ca';
  readonly depth: number;
  readonly errorPage?: string;
  readonly passCertificate: boolean;
  /** A regex over the subject DN, such as `CN=client1|CN=client2`. */
  readonly matchCn?: string;
}

/**
 * ingress-nginx's CVE-2025-1097 came through this value: only `CN=` alternatives made of name characters
 * (and the regex's `.` and `*`), separated by `|`.
 */
export const MATCH_CN = /^CN=[A-Za-z0-9 ._*@-]{1,64}(\|CN=[A-Za-z0-9 ._*@-]{1,64}){0,31}$/;

export const clientCertFamily = defineFamily({
  concern: 'clientCert',
  keys: {
    'auth-tls-secret': {
      schema: secretReference,
      risk: 'Medium',
      scope: 'server',
      description:
        "Secret (in the Ingress's namespace) whose ca.crt holds the CAs client certificates must be signed by.",
      example: 'client-ca',
    },
    'auth-tls-verify-client': {
      schema: z.enum(['on', 'off', 'optional', 'optional_no_ca'], {
        error: 'must be "on", "off", "optional" or "optional_no_ca"',
      }),
      risk: 'Medium',
      scope: 'server',
      description:
        'Whether a client certificate is required (on, the default), checked if sent (optional), or not asked for (off).',
      example: 'optional',
    },
    'auth-tls-verify-depth': {
      schema: z
        .string()
        .regex(/^\d{1,2}$/, 'must be a whole number between 1 and 10')
        .transform(Number)
        .refine((n) => n >= 1 && n <= 10, { message: 'must be a whole number between 1 and 10' }),
      risk: 'Low',
      scope: 'server',
      description: 'Longest chain from the client certificate to a CA of auth-tls-secret (default 1).',
      example: '2',
    },
    'auth-tls-error-page': {
      schema: absoluteUrl({ schemes: ['http', 'https'], path: true }),
      risk: 'High',
      scope: 'server',
      description:
        'Where a client whose certificate is missing or invalid is redirected (302) instead of getting 400.',
      example: 'https://example.com/cert-help',
    },
    'auth-tls-pass-certificate-to-upstream': {
      schema: bool,
      risk: 'Low',
      scope: 'server',
      description: 'Send the client certificate to the pods in the ssl-client-cert header (URL-encoded PEM).',
      example: 'true',
    },
    'auth-tls-match-cn': {
      schema: z
        .string()
        .regex(MATCH_CN, 'must be CN=name alternatives separated by "|" (letters, digits, space and ._*@-)'),
      risk: 'High',
      scope: 'server',
      description:
        'Regex the client certificate subject must match, such as CN=client1|CN=client2; others get 403.',
      example: 'CN=billing|CN=reports',
    },
  },
  build: (v, context): ClientCertAnnotations | undefined => {
    const verify = v['auth-tls-verify-client'] ?? 'on';
    const secret = v['auth-tls-secret'];
    if (secret === undefined) {
      // `off` without a CA is no access control: nothing to do (ingress-nginx accepts it too).
      if (verify !== 'off')
        context.report(
          v['auth-tls-verify-client'] === undefined ? firstSet(v) : 'auth-tls-verify-client',
          'needs auth-tls-secret, the Secret holding the CA bundle',
        );
      return undefined;
    }
    const name = ownSecret(secret, 'auth-tls-secret', context);
    if (name === undefined) return undefined;
    if (verify === 'off') return undefined;
    return {
      secret: name,
      verify,
      depth: v['auth-tls-verify-depth'] ?? 1,
      passCertificate: v['auth-tls-pass-certificate-to-upstream'] ?? false,
      ...(v['auth-tls-error-page'] !== undefined && { errorPage: v['auth-tls-error-page'] }),
      ...(v['auth-tls-match-cn'] !== undefined && { matchCn: v['auth-tls-match-cn'] }),
    };
  },
});

function firstSet(v: Record<string, unknown>): string {
  return Object.keys(v).sort()[0] ?? 'auth-tls-secret';
}
