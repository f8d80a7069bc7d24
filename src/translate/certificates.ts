import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { CertificateFile } from '../model/nginx.ts';

export type CertificateResult =
  { readonly ok: true; readonly file: CertificateFile } | { readonly ok: false; readonly reason: string };

export const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const PEM_KEY =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (?:RSA |EC )?PRIVATE KEY-----/;

/**
 * Turns a `kubernetes.io/tls` Secret into one PEM file (chain, then key). Only re-encoded, well-formed PEM
 * blocks are written, so nothing else in the Secret can reach disk or NGINX. Parsing is pure computation.
 */
export function certificateFromSecret(secret: V1Secret): CertificateResult {
  // Parsed once per Secret object, not once per host or translate: a Secret shared by 500 hosts was
  // parsed (key, certificates, their security checks) 500 times on every build. Sources never change an
  // object in place (a changed Secret is a new object), so the object is the key.
  let result = parsedSecrets.get(secret);
  if (result === undefined) {
    result = parseCertificateSecret(secret);
    parsedSecrets.set(secret, result);
  }
  return result;
}

const parsedSecrets = new WeakMap<V1Secret, CertificateResult>();

function parseCertificateSecret(secret: V1Secret): CertificateResult {
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
    const chain = certs.map((c) => new X509Certificate(c));
    const leaf = chain[0];
    if (leaf === undefined) return { ok: false, reason: 'tls.crt holds no PEM certificate' };
    const privateKey = createPrivateKey(keyBlock);
    if (!leaf.checkPrivateKey(privateKey))
      return { ok: false, reason: 'tls.key does not match the certificate in tls.crt' };
    const weak = chain.map((c, i) => securityProblem(c, i === 0 ? 'certificate' : `chain certificate ${i}`));
    const problem = weak.find((w) => w !== undefined);
    if (problem !== undefined) return { ok: false, reason: problem };
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

/**
 * What OpenSSL's default security level (2, Debian's and most distributions') refuses when NGINX loads a
 * certificate, checked here so that a weak certificate is rejected alone instead of failing `nginx -t` for
 * everyone ("ee key too small", "ca md too weak"): RSA keys under 2048 bits, elliptic curves other than
 * P-256, P-384 and P-521 (P-192 is too small; TLS clients offer no others), DSA keys (no current TLS
 * client negotiates them), and MD5 or SHA-1 signatures on certificates that are not self-signed (OpenSSL
 * does not check a self-signed certificate's own signature).
 */
export function securityProblem(cert: X509Certificate, role: string): string | undefined {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS)
        return `${role} has a ${bits}-bit RSA key; NGINX's OpenSSL refuses keys under ${MIN_RSA_BITS} bits`;
      break;
    }
    case 'ec': {
      const curve = details.namedCurve ?? 'explicit parameters';
      if (!ALLOWED_CURVES.has(curve))
        return `${role} uses the elliptic curve ${curve}; use P-256, P-384 or P-521`;
      break;
    }
    case 'ed25519':
    case 'ed448':
      break;
    default:
      return `${role} has a ${key.asymmetricKeyType ?? 'unknown'} key; use RSA (2048 bits or more) or ECDSA (P-256, P-384, P-521)`;
  }
  if (!cert.checkIssued(cert) && WEAK_SIGNATURE_OIDS.has(cert.signatureAlgorithmOid))
    return `${role} is signed with ${cert.signatureAlgorithm ?? 'a weak digest'}; NGINX's OpenSSL refuses MD5 and SHA-1 signatures`;
  return undefined;
}

const MIN_RSA_BITS = 2048;
const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
/** MD2, MD4, MD5, SHA-0 and SHA-1 signatures (RSA, DSA, ECDSA; PKCS #1 and the older OIW numbers). */
const WEAK_SIGNATURE_OIDS = new Set([
  '1.2.840.113549.1.1.2',
  '1.2.840.113549.1.1.3',
  '1.2.840.113549.1.1.4',
  '1.2.840.113549.1.1.5',
  '1.2.840.10040.4.3',
  '1.2.840.10045.4.1',
  '1.3.14.3.2.3',
  '1.3.14.3.2.15',
  '1.3.14.3.2.27',
  '1.3.14.3.2.29',
]);

export function decode(base64: string | undefined, plain: string | undefined): string | undefined {
  if (plain !== undefined) return plain;
  if (base64 === undefined) return undefined;
  return Buffer.from(base64, 'base64').toString('utf8');
}

function normalisePem(block: string): string {
  return `${block.replace(/\r/g, '').trim()}\n`;
}
