import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { dnsSubdomain } from '../translate/validators.ts';
import { cipherList, int, onOff, ownSecret, secretReference, tlsProtocols } from './values.ts';

/**
 * TLS to the pods (ingress-nginx's proxy-ssl-*), for HTTPS, AUTO_HTTP and GRPCS backends: the CAs the pods'
 * certificates are verified against and the client certificate NGINX presents come from a Secret in the
 * Ingress's own namespace.
 */
export interface ProxySslAnnotations {
  /** Secret (in the Ingress's namespace) with `ca.crt` and/or `tls.crt` + `tls.key`. */
  readonly secret?: string;
  readonly verify: boolean;
  readonly verifyDepth: number;
  /** Send SNI; absent: as the backend protocol does by default. */
  readonly serverName?: boolean;
  /** The name checked in the pods' certificate, and sent as SNI. */
  readonly name?: string;
  readonly protocols?: readonly string[];
  readonly ciphers?: string;
}

export const proxySslFamily = defineFamily({
  concern: 'proxySsl',
  keys: {
    'proxy-ssl-secret': {
      schema: secretReference,
      risk: 'Medium',
      scope: 'location',
      description:
        "Secret (in the Ingress's namespace) for TLS to the pods: ca.crt, the CAs their certificate is verified against; tls.crt and tls.key, a client certificate NGINX presents.",
      example: 'default/backend-tls',
    },
    'proxy-ssl-verify': {
      schema: onOff,
      risk: 'Low',
      scope: 'location',
      description:
        "Verify the pods' certificate against proxy-ssl-secret's ca.crt and proxy-ssl-name (on needs both); default off.",
      example: 'on',
    },
    'proxy-ssl-verify-depth': {
      schema: int(0, 100),
      risk: 'Low',
      scope: 'location',
      description:
        "Longest chain from the pods' certificate to a CA of proxy-ssl-secret (default 1; 0 means 1).",
      example: '2',
    },
    'proxy-ssl-server-name': {
      schema: onOff,
      risk: 'Low',
      scope: 'location',
      description: 'Send proxy-ssl-name to the pods as SNI (on, or off).',
      example: 'on',
    },
    'proxy-ssl-name': {
      schema: z
        .string()
        .trim()
        .transform((v) => v.toLowerCase())
        .refine((v) => dnsSubdomain.safeParse(v).success, { message: 'must be a DNS name' }),
      risk: 'High',
      scope: 'location',
      description:
        "Name the pods' certificate is checked against, and sent as SNI with proxy-ssl-server-name.",
      example: 'backend.default.svc',
    },
    'proxy-ssl-protocols': {
      schema: tlsProtocols,
      risk: 'Low',
      scope: 'location',
      description: 'TLS versions offered to the pods: TLSv1.2 and/or TLSv1.3, space-separated.',
      example: 'TLSv1.2 TLSv1.3',
    },
    'proxy-ssl-ciphers': {
      schema: cipherList,
      risk: 'Medium',
      scope: 'location',
      description: 'OpenSSL cipher list offered to the pods (TLS 1.2).',
      example: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256',
    },
  },
  build: (v, context): ProxySslAnnotations | undefined => {
    if (Object.keys(v).length === 0) return undefined;
    const ref = v['proxy-ssl-secret'];
    const secret = ref === undefined ? undefined : ownSecret(ref, 'proxy-ssl-secret', context);
    if (ref !== undefined && secret === undefined) return undefined;
    const verify = v['proxy-ssl-verify'] ?? false;
    if (verify && secret === undefined) {
      context.report(
        'proxy-ssl-verify',
        'on needs proxy-ssl-secret, whose ca.crt holds the CAs to verify against',
      );
      return undefined;
    }
    if (verify && v['proxy-ssl-name'] === undefined) {
      // NGINX would check the certificate for its upstream's name (gatehouse_balancer): every request would fail.
      context.report(
        'proxy-ssl-verify',
        "on needs proxy-ssl-name, the name the pods' certificate is checked against",
      );
      return undefined;
    }
    const depth = v['proxy-ssl-verify-depth'];
    return {
      ...(secret !== undefined && { secret }),
      verify,
      verifyDepth: depth === undefined || depth === 0 ? 1 : depth,
      ...(v['proxy-ssl-server-name'] !== undefined && { serverName: v['proxy-ssl-server-name'] }),
      ...(v['proxy-ssl-name'] !== undefined && { name: v['proxy-ssl-name'] }),
      ...(v['proxy-ssl-protocols'] !== undefined && { protocols: v['proxy-ssl-protocols'] }),
      ...(v['proxy-ssl-ciphers'] !== undefined && { ciphers: v['proxy-ssl-ciphers'] }),
    };
  },
});
