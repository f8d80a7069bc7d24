import { z } from 'zod';
import { ingressHost } from '../translate/validators.ts';
import { defineFamily, defined } from './spec.ts';
import { bool, cipherList } from './values.ts';

/** What an Ingress changes about the server block of its hosts. */
export interface ServerAnnotations {
  /** More names for the Ingress's hosts (server-alias). */
  readonly aliases?: readonly string[];
  /** OpenSSL cipher list offered to TLS 1.2 clients of the host (ssl-ciphers). */
  readonly sslCiphers?: string;
  /** `ssl_prefer_server_ciphers` for the host (ssl-prefer-server-ciphers). */
  readonly preferServerCiphers?: boolean;
}

const aliases = z
  .string()
  .transform((v) =>
    v
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map((s) => s.toLowerCase()),
  )
  .pipe(
    z
      .array(
        z.string().refine((s) => ingressHost.safeParse(s).success, {
          message: 'must be a comma-separated list of DNS names, each optionally starting with "*."',
        }),
      )
      .min(1, 'must list at least one name')
      .max(32, 'must list at most 32 names'),
  )
  .transform((list) => [...new Set(list)].sort());

export const serverFamily = defineFamily({
  concern: 'server',
  keys: {
    'server-alias': {
      schema: aliases,
      risk: 'High',
      scope: 'server',
      description:
        "More host names (comma-separated) served like the Ingress's hosts; a name another Ingress serves is skipped with a warning.",
      example: 'www.example.com,example.net',
    },
    'ssl-ciphers': {
      schema: cipherList,
      risk: 'Low',
      scope: 'server',
      description:
        "OpenSSL cipher list offered to the host's TLS 1.2 clients instead of the ConfigMap's; the host gets an SSL context of its own (a certificate change then reloads NGINX).",
      example: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
    },
    'ssl-prefer-server-ciphers': {
      schema: bool,
      risk: 'Low',
      scope: 'server',
      description:
        "Whether the host's cipher order wins over the client's (default true, as the http block says); false gives the host an SSL context of its own.",
      example: 'false',
    },
  },
  build: (v): ServerAnnotations =>
    defined({
      aliases: v['server-alias'],
      sslCiphers: v['ssl-ciphers'],
      preferServerCiphers: v['ssl-prefer-server-ciphers'],
    }),
});
