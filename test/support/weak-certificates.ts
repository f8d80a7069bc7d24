import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestCertificate } from './fixtures.ts';

const run = promisify(execFile);

/**
 * Certificates that Node's crypto parses happily but NGINX's OpenSSL refuses at its default security level
 * (what a hostile or careless tenant can put in a `kubernetes.io/tls` Secret), made with the openssl CLI.
 * Each name says what is wrong; `cert` holds the leaf and, where there is one, the CA after it.
 */
export interface WeakCertificates {
  readonly rsa1024: TestCertificate;
  readonly p192: TestCertificate;
  readonly dsa: TestCertificate;
  /** A leaf signed by a sound CA, but with SHA-1. */
  readonly sha1Leaf: TestCertificate;
  /** A sound leaf whose chain carries a CA with a 1024-bit key. */
  readonly weakCa: TestCertificate;
  /** A sound CA-signed leaf and chain, as a control. */
  readonly sound: TestCertificate;
}

export async function weakCertificates(host: string): Promise<WeakCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gh-weak-certs-'));
  const file = (name: string): string => path.join(dir, name);
  const openssl = async (...args: string[]): Promise<void> => {
    await run('openssl', args, { cwd: dir });
  };
  const subject = `/CN=${host}`;
  const ext = file('ext.cnf');
  await writeFile(ext, `subjectAltName=DNS:${host}\nbasicConstraints=CA:FALSE\n`);
  try {
    const selfSigned = async (
      name: string,
      keyArgs: string[],
      digest = '-sha256',
    ): Promise<TestCertificate> => {
      await openssl(...keyArgs, '-out', file(`${name}.key`));
      await openssl(
        'req',
        '-x509',
        digest,
        '-key',
        file(`${name}.key`),
        '-subj',
        subject,
        '-days',
        '2',
        '-addext',
        `subjectAltName=DNS:${host}`,
        '-out',
        file(`${name}.crt`),
      );
      return {
        cert: await readFile(file(`${name}.crt`), 'utf8'),
        key: await readFile(file(`${name}.key`), 'utf8'),
      };
    };
    const ca = async (name: string, bits: number): Promise<void> => {
      await openssl(
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        `rsa_keygen_bits:${bits}`,
        '-out',
        file(`${name}.key`),
      );
      await openssl(
        'req',
        '-x509',
        '-sha256',
        '-key',
        file(`${name}.key`),
        '-subj',
        `/CN=${name}`,
        '-days',
        '2',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign',
        '-out',
        file(`${name}.crt`),
      );
    };
    const signed = async (name: string, caName: string, digest: string): Promise<TestCertificate> => {
      await openssl(
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-out',
        file(`${name}.key`),
      );
      await openssl(
        'req',
        '-new',
        '-key',
        file(`${name}.key`),
        '-subj',
        subject,
        '-out',
        file(`${name}.csr`),
      );
      await openssl(
        'x509',
        '-req',
        digest,
        '-in',
        file(`${name}.csr`),
        '-CA',
        file(`${caName}.crt`),
        '-CAkey',
        file(`${caName}.key`),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        file(`${name}.crt`),
      );
      const chain =
        (await readFile(file(`${name}.crt`), 'utf8')) + (await readFile(file(`${caName}.crt`), 'utf8'));
      return { cert: chain, key: await readFile(file(`${name}.key`), 'utf8') };
    };

    const rsa1024 = await selfSigned('rsa1024', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:1024',
    ]);
    const p192 = await selfSigned('p192', ['ecparam', '-name', 'prime192v1', '-genkey', '-noout']);
    await openssl('dsaparam', '-out', file('dsa.param'), '1024');
    const dsa = await selfSigned('dsa', ['genpkey', '-paramfile', file('dsa.param')]);
    await ca('good-ca', 2048);
    await ca('weak-ca', 1024);
    const sha1Leaf = await signed('sha1-leaf', 'good-ca', '-sha1');
    const weakCa = await signed('weak-ca-leaf', 'weak-ca', '-sha256');
    const sound = await signed('sound', 'good-ca', '-sha256');
    return { rsa1024, p192, dsa, sha1Leaf, weakCa, sound };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
