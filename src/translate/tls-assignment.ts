import type { V1Secret } from '@kubernetes/client-node';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import { DEFAULT_CERTIFICATE_FILE, type CertificateFile } from '../model/nginx.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { certificateFromSecret } from './certificates.ts';
import type { ParsedIngress } from './ingress-parse.ts';
import type { TranslateOptions } from './translate.ts';

/** Which certificate each host presents: from Ingress TLS sections, else the default certificate. Pure. */

function findSecret(snapshot: Snapshot, namespace: string, name: string): V1Secret | undefined {
  return secretIndex(snapshot.secrets).get(`${namespace}/${name}`);
}

/** The Secrets by namespace/name (the first of a name), made once per list: a lookup per TLS entry. */
function secretIndex(secrets: readonly V1Secret[]): ReadonlyMap<string, V1Secret> {
  let index = secretIndexes.get(secrets);
  if (index === undefined) {
    const byName = new Map<string, V1Secret>();
    for (const s of secrets) {
      const key = `${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`;
      if (!byName.has(key)) byName.set(key, s);
    }
    index = byName;
    secretIndexes.set(secrets, index);
  }
  return index;
}

const secretIndexes = new WeakMap<readonly V1Secret[], ReadonlyMap<string, V1Secret>>();

export interface TlsAssignment {
  readonly byHost: Map<string, string>;
  readonly files: Map<string, CertificateFile>;
  /** The Secrets whose certificates are served. */
  readonly secrets: readonly ObjectRef[];
}

/**
 * Gives each host the certificate of the oldest Ingress whose TLS section covers it. An Ingress's TLS
 * section covers only its own hosts, and only hosts its namespace owns (the namespace of the oldest Ingress
 * with a rule for the host): a newer Ingress in another namespace that lists a host cannot give it a
 * certificate, nor with it an HTTP→HTTPS redirect. A missing or unusable Secret drops that entry alone.
 * `accepted` is sorted oldest first.
 */
export function assignCertificates(
  accepted: readonly ParsedIngress[],
  snapshot: Snapshot,
  report: (d: Diagnostic) => void,
  leftOut: (namespace: string, name: string) => string | undefined = () => undefined,
): TlsAssignment {
  const byHost = new Map<string, string>();
  const files = new Map<string, CertificateFile>();
  const owner = new Map<string, { readonly ref: ObjectRef; readonly field: string }>();
  const secrets = new Map<string, ObjectRef>();
  const ownerNamespace = new Map<string, string>();
  for (const ingress of accepted)
    for (const host of hostsOf(ingress))
      if (!ownerNamespace.has(host)) ownerNamespace.set(host, ingress.ref.namespace);
  for (const ingress of accepted) {
    for (const entry of ingress.tls) {
      const secret = findSecret(snapshot, ingress.ref.namespace, entry.secretName);
      if (secret === undefined) {
        const why =
          leftOut(ingress.ref.namespace, entry.secretName) ??
          `Secret ${ingress.ref.namespace}/${entry.secretName} does not exist`;
        report({
          severity: 'warning',
          object: ingress.ref,
          field: `${entry.field}.secretName`,
          reason: `${why}; its hosts use the default certificate`,
        });
        continue;
      }
      const cert = certificateFromSecret(secret);
      if (!cert.ok) {
        report({
          severity: 'warning',
          object: ingress.ref,
          field: `${entry.field}.secretName`,
          reason: `Secret ${ingress.ref.namespace}/${entry.secretName}: ${cert.reason}; its hosts use the default certificate`,
        });
        continue;
      }
      const covered = entry.hosts.length === 0 ? hostsOf(ingress) : entry.hosts;
      for (const tlsHost of covered) {
        // Only the Ingress's own hosts: its TLS section must not hand a certificate to another team's host.
        for (const host of new Set(hostsOf(ingress))) {
          if (!tlsCovers(tlsHost, host)) continue;
          if (ownerNamespace.get(host) !== ingress.ref.namespace) {
            report({
              severity: 'warning',
              object: ingress.ref,
              field: `${entry.field}.hosts`,
              reason: `host ${host} belongs to an older Ingress in another namespace; this TLS entry does not apply to it`,
            });
            continue;
          }
          const existing = owner.get(host);
          if (existing !== undefined) {
            if (byHost.get(host) !== cert.file.fileName) {
              // (Same namespace here: another namespace's TLS entries never reach this point.)
              const own = existing.ref === ingress.ref;
              report({
                severity: 'warning',
                object: ingress.ref,
                field: `${entry.field}.hosts`,
                reason: `host ${host} already has a certificate from ${
                  own
                    ? `${existing.field} of this Ingress`
                    : `the older Ingress ${existing.ref.namespace}/${existing.ref.name}`
                }`,
                // Two entries of one Ingress disagreeing is its own affair, not a conflict with another.
                ...(own ? {} : { conflict: true as const }),
              });
            }
            continue;
          }
          owner.set(host, { ref: ingress.ref, field: entry.field });
          byHost.set(host, cert.file.fileName);
          files.set(cert.file.fileName, cert.file);
          secrets.set(cert.file.fileName, {
            kind: 'Secret',
            namespace: ingress.ref.namespace,
            name: entry.secretName,
          });
        }
      }
    }
  }
  return { byHost, files, secrets: [...secrets.values()] };
}

function hostsOf(ingress: ParsedIngress): string[] {
  return ingress.rules.map((r) => r.host).filter((h) => h !== '');
}

/** A TLS host covers a rule host when equal, or when `*.example.com` covers `one.example.com`. */
function tlsCovers(tlsHost: string, host: string): boolean {
  if (tlsHost === host) return true;
  if (!tlsHost.startsWith('*.') || host.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === tlsHost.slice(2);
}

/**
 * `--default-ssl-certificate`'s Secret when it is usable, else the generated certificate. The Secret's
 * file is content-addressed like any other, so a rotated certificate changes the config and reloads.
 */
export function chooseDefaultCertificate(
  snapshot: Snapshot,
  options: TranslateOptions,
  report: (d: Diagnostic) => void,
): { readonly file: CertificateFile; readonly secret?: ObjectRef } {
  const generated = { file: { fileName: DEFAULT_CERTIFICATE_FILE, pem: options.defaultCertificatePem } };
  const wanted = options.defaultCertificateSecret;
  if (wanted === undefined) return generated;
  const object: ObjectRef = { kind: 'Secret', namespace: wanted.namespace, name: wanted.name };
  const secret = findSecret(snapshot, wanted.namespace, wanted.name);
  const cert = secret === undefined ? undefined : certificateFromSecret(secret);
  if (cert?.ok === true) return { file: cert.file, secret: object };
  const why = cert === undefined ? 'does not exist' : cert.reason;
  report({
    severity: 'warning',
    object,
    field: '',
    reason: `--default-ssl-certificate: ${why}; the generated default certificate is served instead`,
  });
  return generated;
}
