import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { BasicAuthAnnotations } from '../annotations/basic-auth.ts';
import { cmp, type ObjectRef } from '../model/diagnostics.ts';
import type { AuthFile, BasicAuth } from '../model/nginx.ts';
import { decode } from './certificates.ts';
import type { SecretFiles, SecretFilesResult } from './secret-files.ts';

/** A user name NGINX can match: printable ASCII without `:` or whitespace. */
const USER = /^[\x21-\x39\x3b-\x7e]{1,128}$/;

/**
 * Password hashes NGINX checks (crypt(3) through glibc/libxcrypt, and its own apr1 and {SHA}/{SSHA}):
 * bcrypt, yescrypt, SHA-512/256 crypt, MD5 crypt, apr1, salted SHA-1, SHA-1. Plain text ({PLAIN}) and
 * 13-character DES crypt are refused: either gives the password away to anyone who reads the Secret.
 */
const HASHES: readonly RegExp[] = [
  /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/,
  /^\$y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{43}$/,
  /^\$[56]\$(rounds=\d{4,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}$/,
  /^\$(1|apr1)\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}$/,
  /^\{SSHA\}[A-Za-z0-9+/]{26,}={0,2}$/,
  /^\{SHA\}[A-Za-z0-9+/]{27}=$/,
];

const MAX_USERS = 10_000;

export type BasicAuthResult = SecretFilesResult<BasicAuth, AuthFile>;
/** The htpasswd files of a config, one per distinct content. */
export type BasicAuthFiles = SecretFiles<BasicAuthAnnotations, BasicAuth, AuthFile>;

/**
 * Turns an Ingress's basic-auth annotations and its Secret into an htpasswd file of its own, re-written
 * from the validated `user:hash` pairs (nothing else in the Secret reaches disk). Pure.
 */
export function basicAuthFile(
  namespace: string,
  wanted: BasicAuthAnnotations,
  secrets: readonly V1Secret[],
): BasicAuthResult {
  const users = secretUsers(namespace, wanted, secrets);
  if (!users.ok) return users;
  const { secret: ref, entries } = users;
  // NGINX reads `user:hash[:comment]`; the comment is dropped.
  const pairs = entries.map(([user, rest]): [string, string] => [user, rest.split(':')[0] ?? '']);
  for (const [i, [user, hash]] of pairs.entries()) {
    const problem = badUser(ref, wanted, i, user);
    if (problem !== undefined) return { ok: false, secret: ref, reason: problem };
    if (!HASHES.some((h) => h.test(hash)))
      return {
        ok: false,
        secret: ref,
        reason: `Secret ${namespace}/${wanted.secret}: user ${user} has no supported password hash (bcrypt, yescrypt, SHA-256/512 crypt, MD5 crypt, apr1, {SSHA} or {SHA}; plain text is refused)`,
      };
  }
  const file = userFile(
    namespace,
    wanted.secret,
    'htpasswd',
    pairs.map(([user, hash]) => `${user}:${hash}`),
  );
  return { ok: true, secret: ref, settings: { realm: wanted.realm, file: file.fileName }, files: [file] };
}

/** The users an auth Secret lists, as `[user, rest of its line or map value]`, or why there are none. */
export function secretUsers(
  namespace: string,
  wanted: Pick<BasicAuthAnnotations, 'type' | 'secret' | 'secretType'>,
  secrets: readonly V1Secret[],
):
  | {
      readonly ok: true;
      readonly secret: ObjectRef;
      readonly entries: readonly (readonly [string, string])[];
    }
  | { readonly ok: false; readonly reason: string; readonly secret?: ObjectRef } {
  const ref: ObjectRef = { kind: 'Secret', namespace, name: wanted.secret };
  const secret = secrets.find(
    (s) => s.metadata?.namespace === namespace && s.metadata.name === wanted.secret,
  );
  if (secret === undefined)
    return { ok: false, reason: `auth-secret ${namespace}/${wanted.secret} does not exist` };
  const entries: [string, string][] = [];
  if (wanted.secretType === 'auth-file') {
    const text = decode(secret.data?.['auth'], secret.stringData?.['auth']);
    if (text === undefined)
      return {
        ok: false,
        secret: ref,
        reason: `Secret ${namespace}/${wanted.secret} has no "auth" key (an ${wanted.type === 'digest' ? 'htdigest' : 'htpasswd'} file)`,
      };
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      entries.push(colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1)]);
    }
  } else {
    const keys = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
    for (const user of keys)
      entries.push([user, (decode(secret.data?.[user], secret.stringData?.[user]) ?? '').trim()]);
  }
  if (entries.length === 0)
    return { ok: false, secret: ref, reason: `Secret ${namespace}/${wanted.secret} lists no user` };
  if (entries.length > MAX_USERS)
    return {
      ok: false,
      secret: ref,
      reason: `Secret ${namespace}/${wanted.secret} lists more than ${MAX_USERS} users`,
    };
  return { ok: true, secret: ref, entries };
}

/** Why entry `i` of an auth Secret has no usable user name, if it has none. */
export function badUser(
  ref: ObjectRef,
  wanted: Pick<BasicAuthAnnotations, 'secretType'>,
  i: number,
  user: string,
): string | undefined {
  if (USER.test(user)) return undefined;
  const which = wanted.secretType === 'auth-file' ? `entry ${i + 1}` : 'a key';
  return `Secret ${ref.namespace}/${ref.name}: ${which} has no valid user name (printable, no ":" or spaces)`;
}

/** An auth file of validated lines, sorted, named `<namespace>_<secret>_<content digest>.<extension>`. */
export function userFile(
  namespace: string,
  secret: string,
  extension: string,
  lines: readonly string[],
): AuthFile {
  const content = [...lines]
    .sort(cmp)
    .map((l) => `${l}\n`)
    .join('');
  const digest = createHash('sha256').update(content).digest('hex').slice(0, 12);
  return { fileName: `${namespace}_${secret}_${digest}.${extension}`, content };
}
