import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

/**
 * The certificate served to TLS clients asking for a host with no certificate of its own (as ingress-nginx's
 * "Kubernetes Ingress Controller Fake Certificate"). Kept in `dir` so restarts serve the same one.
 */
export async function ensureDefaultCertificate(dir: string | undefined): Promise<string> {
  const file = dir === undefined ? undefined : path.join(dir, 'default-certificate.pem');
  if (file !== undefined) {
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    if (existing?.includes('PRIVATE KEY') === true) return existing;
  }
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'Gatehouse Default Certificate' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'ingress.local' }] },
    ],
  });
  const pem = `${pems.cert.trim()}\n${pems.private.trim()}\n`;
  if (file !== undefined && dir !== undefined) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, pem, { mode: 0o600 });
  }
  return pem;
}
