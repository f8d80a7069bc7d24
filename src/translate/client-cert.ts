import { X509Certificate, createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { ClientCertAnnotations } from '../annotations/client-cert.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import type { CertificateFile, ClientAuth, ClientCertCheck, LocationSettings } from '../model/nginx.ts';
import { PEM_CERT, decode, type CertificateResult } from './certificates.ts';

export type ClientAuthResult =
  | {
      readonly ok: true;
      readonly auth: ClientAuth;
      readonly file: CertificateFile;
      readonly secret: ObjectRef;
    }
  | { readonly ok: false; readonly reason: string; readonly secret?: ObjectRef };

/**
 * The CA bundle of an auth-tls-secret (its `ca.crt`), re-encoded from the certificates that parse, as a
 * content-addressed file beside the other certificates. Pure.
 */
export function clientAuthFor(
  namespace: string,
  wanted: ClientCertAnnotations,
  secrets: readonly V1Secret[],
): ClientAuthResult {
  const secret = secrets.find(
    (s) => s.metadata?.namespace === namespace && s.metadata.name === wanted.secret,
  );
  if (secret === undefined)
    return { ok: false, reason: `auth-tls-secret ${namespace}/${wanted.secret} does not exist` };
  const ref: ObjectRef = { kind: 'Secret', namespace, name: wanted.secret };
  const bundle = caBundle(secret);
  if (!bundle.ok) return { ok: false, secret: ref, reason: bundle.reason };
  return {
    ok: true,
    secret: ref,
    file: bundle.file,
    auth: {
      caFile: bundle.file.fileName,
      verify: wanted.verify,
      depth: wanted.depth,
      ...(wanted.errorPage !== undefined && { errorPage: wanted.errorPage }),
    },
  };
}

/**
 * A Secret's `ca.crt` (CA certificates only), re-encoded from the PEM blocks that parse, as a
 * content-addressed file `<namespace>_<name>_ca_<digest>.pem`: client certificates' CAs, and the CAs
 * pods' certificates are checked against (proxy-ssl-secret). Pure.
 */
export function caBundle(secret: V1Secret): CertificateResult {
  const namespace = secret.metadata?.namespace ?? 'default';
  const name = `${namespace}/${secret.metadata?.name ?? ''}`;
  const text = decode(secret.data?.['ca.crt'], secret.stringData?.['ca.crt']);
  if (text === undefined) return { ok: false, reason: `Secret ${name} has no ca.crt` };
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { ok: false, reason: `ca.crt of Secret ${name} holds no PEM certificate` };
  try {
    for (const block of blocks) {
      const cert = new X509Certificate(block);
      if (!cert.ca)
        return {
          ok: false,
          reason: `ca.crt of Secret ${name} holds a certificate that is not a CA (${cert.subject.split('\n').join(', ').slice(0, 120)})`,
        };
    }
  } catch (error) {
    return {
      ok: false,
      reason: `ca.crt of Secret ${name} cannot be parsed (${error instanceof Error ? error.message : 'unknown error'})`,
    };
  }
  const pem = blocks.map((b) => `${b.replace(/\r/g, '').trim()}\n`).join('');
  const digest = createHash('sha256').update(pem).digest('hex').slice(0, 12);
  return {
    ok: true,
    file: { fileName: `${namespace}_${secret.metadata?.name ?? ''}_ca_${digest}.pem`, pem },
  };
}

/** A host's client-certificate settings and what its locations must check, or why it cannot have them. */
export type HostClientAuth =
  | { readonly auth: ClientAuth; readonly check: ClientCertCheck; readonly header: 'verdict' | 'certificate' }
  | { readonly denied: string };

/** The client-certificate settings of every host, from its oldest Ingress that sets them. Pure. */
export class ClientCerts {
  private readonly secretList: readonly V1Secret[];
  private readonly report: (d: Diagnostic) => void;
  private readonly files = new Map<string, CertificateFile>();
  private readonly used = new Map<string, ObjectRef>();

  constructor(secrets: readonly V1Secret[], report: (d: Diagnostic) => void) {
    this.secretList = secrets;
    this.report = report;
  }

  forHost(
    host: string,
    contributors: readonly {
      readonly ingress: { readonly ref: ObjectRef };
      readonly settings: { readonly clientCert?: ClientCertAnnotations | undefined };
    }[],
  ): HostClientAuth | undefined {
    const owner = contributors.find((c) => c.settings.clientCert !== undefined);
    const wanted = owner?.settings.clientCert;
    if (owner === undefined || wanted === undefined) return undefined;
    const ref = owner.ingress.ref;
    const field = `metadata.annotations[${ANNOTATION_PREFIX}auth-tls-secret]`;
    if (host === '') {
      const reason =
        'client certificates need a host (a TLS server name); rules without a host cannot ask for them';
      this.report({ severity: 'warning', object: ref, field, reason: `${reason}; its paths answer 503` });
      return { denied: reason };
    }
    const result = clientAuthFor(ref.namespace, wanted, this.secretList);
    if (result.secret !== undefined)
      this.used.set(`${result.secret.namespace}/${result.secret.name}`, result.secret);
    if (!result.ok) {
      this.report({
        severity: 'warning',
        object: ref,
        field,
        reason: `${result.reason}; host ${host} answers 503 until it is fixed`,
      });
      return { denied: result.reason };
    }
    this.files.set(result.file.fileName, result.file);
    return {
      auth: result.auth,
      check: {
        requireVerified: wanted.verify === 'on',
        ...(wanted.matchCn !== undefined && { matchCn: wanted.matchCn }),
      },
      header: wanted.passCertificate ? 'certificate' : 'verdict',
    };
  }

  caFiles(): CertificateFile[] {
    return [...this.files.values()].sort((a, b) => (a.fileName < b.fileName ? -1 : 1));
  }

  secrets(): ObjectRef[] {
    return [...this.used.values()];
  }
}

/** A location of a host with client certificates: its checks and headers, or its denial. */
export function withClientCert(
  settings: LocationSettings,
  host: HostClientAuth | undefined,
): LocationSettings {
  if (host === undefined) return settings;
  if ('denied' in host) return { ...settings, denied: host.denied };
  return {
    ...settings,
    clientCert: host.check,
    proxyHeaders: { ...settings.proxyHeaders, clientCertificate: host.header },
  };
}
