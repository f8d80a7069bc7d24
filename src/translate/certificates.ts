import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { CertificateFile } from '../model/nginx.ts';

export type CertificateResult =
  { readonly ok: true; readonly file: CertificateFile } | { readonly ok: false; readonly reason: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const PEM_KEY =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (?:RSA |EC )?PRIVATE KEY-----/;

/**
 * Turns a `kubernetes.io/tls` Secret into one PEM file (chain, then key). Only re-encoded, well-formed PEM
 * blocks are written, so nothing else in the Secret can reach disk or NGINX. Parsing is pure computation.
 */
export function certificateFromSecret(secret: V1Secret): CertificateResult {
  if (secret.type !== undefined && secret.type !== 'kubernetes.io/tls') {
    return {
      ok: false,
      reason: `Secret type is ${JSON.stringify(secret.type).slice(0, 60)}, not kubernetes.io/tls`,
    };
  }
  const crt = decode(secret.data?.['tls.crt'], secret.stringData?.['tls.crt']);
  const key = decode(secret.data?.['tls.key'], secret.stringData?.['tls.key']);
  if (crt === undefined || key === undefined) return { ok: false, reason: 'Secret lacks tls.crt or tls.key' };

  const certs = crt.match(PEM_CERT) ?? [];
  const keyBlock = PEM_KEY.exec(key)?.[0];
  if (certs.length === 0) return { ok: false, reason: 'tls.crt holds no PEM certificate' };
  if (keyBlock === undefined) return { ok: false, reason: 'tls.key holds no PEM private key' };
  try {
    const leaf = new X509Certificate(certs[0] ?? '');
    for (const extra of certs.slice(1)) new X509Certificate(extra);
    const privateKey = createPrivateKey(keyBlock);
    if (!leaf.checkPrivateKey(privateKey))
      return { ok: false, reason: 'tls.key does not match the certificate in tls.crt' };
  } catch (error) {
    return {
      ok: false,
      reason: `certificate or key cannot be parsed (${error instanceof Error ? error.message : 'unknown error'})`,
    };
  }
  const ns = secret.metadata?.namespace ?? 'default';
  const name = secret.metadata?.name ?? '';
  const pem = `${certs.map(normalisePem).join('')}${normalisePem(keyBlock)}`;
  // Content-addressed, so a new certificate never overwrites the file the running config uses.
  const digest = createHash('sha256').update(pem).digest('hex').slice(0, 12);
  return { ok: true, file: { fileName: `${ns}_${name}_${digest}.pem`, pem } };
}

function decode(base64: string | undefined, plain: string | undefined): string | undefined {
  if (plain !== undefined) return plain;
  if (base64 === undefined) return undefined;
  return Buffer.from(base64, 'base64').toString('utf8');
}

function normalisePem(block: string): string {
  return `${block.replace(/\r/g, '').trim()}\n`;
}
