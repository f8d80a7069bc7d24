import type { KubernetesObject } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { opaqueSecret, type TestCertificate } from './fixtures.ts';

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
export async function clientCertificate(cn: string, ca: TestCertificate): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A Secret holding a CA bundle in `ca.crt`, as auth-tls-secret names it. */
export function caSecret(name: string, ...cas: TestCertificate[]): KubernetesObject {
  return opaqueSecret(name, { 'ca.crt': cas.map((c) => c.cert).join('') });
}
