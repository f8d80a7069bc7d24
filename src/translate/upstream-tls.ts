import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { ProxySslAnnotations } from '../annotations/proxy-ssl.ts';
import type { ObjectRef } from '../model/diagnostics.ts';
import type { CertificateFile, UpstreamTls } from '../model/nginx.ts';
import { certificateFromSecret } from './certificates.ts';
import { caBundle } from './client-cert.ts';
import type { SecretFiles, SecretFilesResult } from './secret-files.ts';

export type UpstreamTlsResult = SecretFilesResult<UpstreamTls, CertificateFile>;
/** The TLS-to-pods settings of every Ingress that asks, and their CA and client certificate files. */
export type UpstreamTlsFiles = SecretFiles<ProxySslAnnotations, UpstreamTls, CertificateFile>;

/**
 * An Ingress's proxy-ssl-* settings with the files of its proxy-ssl-secret: `ca.crt` (CA certificates only)
 * and `tls.crt` + `tls.key` (a client certificate), each re-encoded from the PEM blocks that parse, so nothing
 * else in the Secret reaches disk. Pure.
 */
export function upstreamTlsFor(
  namespace: string,
  wanted: ProxySslAnnotations,
  secrets: readonly V1Secret[],
): UpstreamTlsResult {
  const tls: Omit<UpstreamTls, 'pool'> = {
    verify: wanted.verify,
    verifyDepth: wanted.verifyDepth,
    // Gatehouse sends SNI to HTTPS and GRPCS pods unless told otherwise.
    serverName: wanted.serverName ?? true,
    ...(wanted.name !== undefined && { name: wanted.name }),
    ...(wanted.protocols !== undefined && { protocols: wanted.protocols }),
    ...(wanted.ciphers !== undefined && { ciphers: wanted.ciphers }),
  };
  if (wanted.secret === undefined) return { ok: true, settings: withPool(tls), files: [] };
  const name = `${namespace}/${wanted.secret}`;
  const secret = secrets.find(
    (s) => s.metadata?.namespace === namespace && s.metadata.name === wanted.secret,
  );
  if (secret === undefined) return { ok: false, reason: `proxy-ssl-secret ${name} does not exist` };
  const ref: ObjectRef = { kind: 'Secret', namespace, name: wanted.secret };
  const has = (key: string): boolean =>
    secret.data?.[key] !== undefined || secret.stringData?.[key] !== undefined;
  if (wanted.verify && !has('ca.crt'))
    return {
      ok: false,
      secret: ref,
      reason: `Secret ${name} has no ca.crt, which proxy-ssl-verify on checks the pods against`,
    };
  const files: CertificateFile[] = [];
  let result = tls;
  if (has('ca.crt')) {
    const bundle = caBundle(secret);
    if (!bundle.ok) return { ok: false, secret: ref, reason: bundle.reason };
    files.push(bundle.file);
    result = { ...result, trustedCertificate: bundle.file.fileName };
  }
  if (has('tls.crt') || has('tls.key')) {
    // As in ingress-nginx, the client certificate may sit in a Secret of any type, beside its ca.crt.
    const client = certificateFromSecret({ ...secret, type: 'kubernetes.io/tls' });
    if (!client.ok) return { ok: false, secret: ref, reason: `Secret ${name}: ${client.reason}` };
    files.push(client.file);
    result = { ...result, certificate: client.file.fileName };
  }
  if (files.length === 0)
    return { ok: false, secret: ref, reason: `Secret ${name} has neither ca.crt nor tls.crt and tls.key` };
  return { ok: true, settings: withPool(result), files, secret: ref };
}

/** Names the keep-alive pool of these settings: the same settings (files included) share one. */
function withPool(tls: Omit<UpstreamTls, 'pool'>): UpstreamTls {
  const digest = createHash('sha256').update(JSON.stringify(tls)).digest('hex').slice(0, 12);
  return { pool: `gatehouse_tls_${digest}`, ...tls };
}
