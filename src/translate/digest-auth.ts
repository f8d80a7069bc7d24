import type { V1Secret } from '@kubernetes/client-node';
import type { BasicAuthAnnotations } from '../annotations/basic-auth.ts';
import type { AuthFile, DigestAuth } from '../model/nginx.ts';
import { badUser, secretUsers, userFile } from './basic-auth.ts';
import type { SecretFiles, SecretFilesResult } from './secret-files.ts';

/** HA1 = MD5(user:realm:password), as htdigest writes it. */
const HA1 = /^[0-9a-fA-F]{32}$/;

export type DigestAuthResult = SecretFilesResult<DigestAuth, AuthFile>;
/** The htdigest files of a config, one per distinct content. */
export type DigestAuthFiles = SecretFiles<BasicAuthAnnotations, DigestAuth, AuthFile>;

/**
 * Turns an Ingress's `auth-type: digest` and its Secret into an htdigest file of its own (`user:realm:HA1`
 * lines, read by lua/gatehouse/digest.lua), re-written from validated lines: every line must be one, and
 * only the users of the Ingress's realm are kept (the others could never sign in there). Pure.
 */
export function digestAuthFile(
  namespace: string,
  wanted: BasicAuthAnnotations,
  secrets: readonly V1Secret[],
): DigestAuthResult {
  const users = secretUsers(namespace, wanted, secrets);
  if (!users.ok) return users;
  const { secret: ref, entries } = users;
  const lines: string[] = [];
  for (const [i, [user, rest]] of entries.entries()) {
    const problem = badUser(ref, wanted, i, user);
    if (problem !== undefined) return { ok: false, secret: ref, reason: problem };
    // realm:HA1 — the realm may hold ":", the HA1 never does.
    const colon = rest.lastIndexOf(':');
    const realm = rest.slice(0, Math.max(colon, 0));
    const ha1 = rest.slice(colon + 1);
    if (colon < 0 || !HA1.test(ha1))
      return {
        ok: false,
        secret: ref,
        reason: `Secret ${namespace}/${wanted.secret}: user ${user} has no realm:HA1 (32 hex digits of MD5, as htdigest writes)`,
      };
    if (realm === wanted.realm) lines.push(`${user}:${realm}:${ha1.toLowerCase()}`);
  }
  if (lines.length === 0)
    return {
      ok: false,
      secret: ref,
      reason: `Secret ${namespace}/${wanted.secret} lists no user of realm "${wanted.realm}" (auth-realm)`,
    };
  const file = userFile(namespace, wanted.secret, 'htdigest', lines);
  return { ok: true, secret: ref, settings: { realm: wanted.realm, file: file.fileName }, files: [file] };
}
