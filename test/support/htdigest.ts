import { createHash } from 'node:crypto';

export { opaqueSecret } from './fixtures.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** An htdigest line's HA1: MD5 of `user:realm:password`. */
export function ha1(user: string, realm: string, password: string): string {
  return md5(`${user}:${realm}:${password}`);
}

/** An htdigest line, as Apache's htdigest writes it. */
export function htdigestLine(user: string, realm: string, password: string): string {
  return `${user}:${realm}:${ha1(user, realm, password)}`;
}

/** The parameters of a `WWW-Authenticate: Digest …` challenge (quoted values unquoted). */
export function challengeOf(header: string | undefined): Record<string, string> {
  const match = /^Digest (.*)$/.exec(header ?? '');
  if (match?.[1] === undefined) throw new Error(`not a Digest challenge: ${header}`);
  const params: Record<string, string> = {};
  for (const m of match[1].matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]+))/g))
    if (m[1] !== undefined) params[m[1]] = m[2] ?? m[3] ?? '';
  return params;
}

export interface DigestAnswer {
  readonly user: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly method?: string;
  readonly nc: number;
  readonly cnonce?: string;
}

/** `Authorization: Digest …` answering a challenge with qop=auth and MD5 (RFC 7616), as curl sends it. */
export function digestAuthorization(a: DigestAnswer): string {
  const nc = a.nc.toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? 'MTIzNDU2Nzg5MA';
  const ha2 = md5(`${a.method ?? 'GET'}:${a.uri}`);
  const response = md5([ha1(a.user, a.realm, a.password), a.nonce, nc, cnonce, 'auth', ha2].join(':'));
  return (
    `Digest username="${a.user}", realm="${a.realm}", nonce="${a.nonce}", uri="${a.uri}", ` +
    `cnonce="${cnonce}", nc=${nc}, qop=auth, response="${response}", algorithm=MD5`
  );
}
