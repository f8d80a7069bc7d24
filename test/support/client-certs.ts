import type { KubernetesObject } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { opaqueSecret, type TestCertificate } from './fixtures.ts';

/** selfsigned's extension entries (its type is not exported). */
type Extensions = NonNullable<NonNullable<Parameters<typeof generate>[1]>['extensions']>;

const validity = () => ({
  notBeforeDate: new Date(Date.now() - 3600_000),
  notAfterDate: new Date(Date.now() + 30 * 24 * 3600_000),
});

/** A CA that signs client certificates (EC P-256, basicConstraints CA). */
export async function clientCa(name: string): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A client certificate with this CN, signed by `ca`. */
export function clientCertificate(cn: string, ca: TestCertificate): Promise<TestCertificate> {
  return signedBy(ca, cn, [{ name: 'extKeyUsage', clientAuth: true }]);
}

/** A leaf certificate (EC P-256) with this CN and these extensions besides its key usage, signed by `ca`. */
async function signedBy(ca: TestCertificate, cn: string, extensions: Extensions): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      ...extensions,
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A Secret holding a CA bundle in `ca.crt`, as auth-tls-secret names it. */
export function caSecret(name: string, ...cas: TestCertificate[]): KubernetesObject {
  return opaqueSecret(name, { 'ca.crt': cas.map((c) => c.cert).join('') });
}

/** A server certificate for these DNS names (the first is the CN), signed by `ca`: a pod that speaks TLS. */
export function serverCertificate(ca: TestCertificate, ...hosts: string[]): Promise<TestCertificate> {
  return signedBy(ca, hosts[0] ?? 'server', [
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => ({ type: 2, value: h })) },
  ]);
}
