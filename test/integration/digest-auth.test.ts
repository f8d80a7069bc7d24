// Digest authentication (auth-type: digest) as a client sees it, against real NGINX and Gatehouse's Lua
// handler: 401 with a Digest challenge without credentials, 200 for curl --digest with a user of the
// htdigest Secret, 401 with a wrong password or a user of another realm, replayed and forged nonces refused,
// a spent nonce answered stale=true, nonces good across a reload, satisfy any with an allowlist, external
// auth asked first, and 503 when the Secret is unusable.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { challengeOf, digestAuthorization, htdigestLine, opaqueSecret } from '../support/htdigest.ts';
import {
  echoOf,
  eventuallyServed,
  liveConfig,
  serveFolder,
  waitForLog,
  type ServedFolder,
} from '../support/integration.ts';

const run = promisify(execFile);
const REALM = 'Admins only';
const PASSWORD = 'open sesame';
const CHALLENGE = /^Digest realm="Admins only", nonce="[0-9a-f]{56}", qop="auth", algorithm=MD5$/;

describe('digest authentication', () => {
  let served: ServedFolder | undefined;
  let objects: KubernetesObject[] = [];
  // An auth service that lets through only requests carrying `x-pass: 1` (403 otherwise).
  const authService = http.createServer((req, res) =>
    res.writeHead(req.headers['x-pass'] === '1' ? 200 : 403).end(),
  );
  const port = (): number => {
    assert.ok(served);
    return served.gatehouse.httpPort;
  };
  const get = (host: string, uri = '/', authorization?: string) =>
    request('http', port(), host, uri, { headers: authorization === undefined ? {} : { authorization } });
  /** What curl --digest gets for each URL (one curl, one connection). */
  const curl = async (host: string, user: string, password: string, uris: string[] = ['/']) => {
    const { stdout } = await run('curl', [
      '--silent',
      '--digest',
      '--user',
      `${user}:${password}`,
      '--resolve',
      `${host}:${port()}:127.0.0.1`,
      '--write-out',
      '%{http_code}\\n',
      ...uris.flatMap((u) => ['--output', '/dev/null', `http://${host}:${port()}${u}`]),
    ]);
    return stdout.trim().split('\n');
  };
  /** A fresh nonce from the challenge of `host`. */
  const nonceOf = async (host: string, realm = REALM) => {
    const reply = await get(host);
    assert.equal(reply.status, 401);
    const c = challengeOf(reply.headers['www-authenticate']);
    assert.equal(c['realm'], realm);
    return c['nonce'] ?? '';
  };
  const protectedBy = (name: string, host: string, annotations: Record<string, string>) =>
    ingress({
      name,
      annotations: {
        'nginx.ingress.kubernetes.io/auth-type': 'digest',
        'nginx.ingress.kubernetes.io/auth-realm': REALM,
        ...annotations,
      },
      rules: [{ host, paths: [{ service: 'app', port: 80 }] }],
    });

  before(async () => {
    await new Promise<void>((resolve) => authService.listen(0, '127.0.0.1', resolve));
    const authPort = (authService.address() as AddressInfo).port;
    objects = [
      protectedBy('digest', 'digest.example.com', { 'nginx.ingress.kubernetes.io/auth-secret': 'users' }),
      protectedBy('map', 'map.example.com', {
        'nginx.ingress.kubernetes.io/auth-secret': 'user-map',
        'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-map',
      }),
      protectedBy('any', 'any.example.com', {
        'nginx.ingress.kubernetes.io/auth-secret': 'users',
        'nginx.ingress.kubernetes.io/whitelist-source-range': '192.0.2.0/24',
        'nginx.ingress.kubernetes.io/satisfy': 'any',
      }),
      protectedBy('both', 'both.example.com', {
        'nginx.ingress.kubernetes.io/auth-secret': 'users',
        'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.1:${authPort}/check`,
      }),
      protectedBy('missing', 'missing.example.com', {
        'nginx.ingress.kubernetes.io/auth-secret': 'nowhere',
      }),
      protectedBy('broken', 'broken.example.com', { 'nginx.ingress.kubernetes.io/auth-secret': 'broken' }),
      opaqueSecret('users', {
        auth: [
          '# made with htdigest',
          htdigestLine('alice', REALM, PASSWORD),
          htdigestLine('bob', 'Another realm', PASSWORD),
          '',
        ].join('\n'),
      }),
      opaqueSecret('user-map', { carol: htdigestLine('carol', REALM, PASSWORD).slice('carol:'.length) }),
      opaqueSecret('broken', { auth: `${htdigestLine('alice', REALM, PASSWORD)}\nmallory:${REALM}:xyz\n` }),
    ];
    // The auth service listens on loopback, which only an explicit allowance permits.
    served = await serveFolder(['app'], objects, ['--external-name-allowed-cidrs', '127.0.0.1/32']);
  });

  after(async () => {
    await served?.stop();
    await new Promise<void>((resolve) => authService.close(() => resolve()));
  });

  it('asks for credentials with a Digest challenge: 401 without them', async () => {
    const reply = await get('digest.example.com');
    assert.equal(reply.status, 401);
    assert.match(reply.headers['www-authenticate'] ?? '', CHALLENGE);
  });

  it('lets curl --digest through with a user of the Secret', async () => {
    assert.deepEqual(await curl('digest.example.com', 'alice', PASSWORD, ['/', '/a?b=c', '/d']), [
      '200',
      '200',
      '200',
    ]);
    assert.deepEqual(await curl('map.example.com', 'carol', PASSWORD), ['200']);
  });

  it('refuses a wrong password, an unknown user and a user of another realm (401)', async () => {
    assert.deepEqual(await curl('digest.example.com', 'alice', 'wrong'), ['401']);
    assert.deepEqual(await curl('digest.example.com', 'nobody', PASSWORD), ['401']);
    assert.deepEqual(await curl('digest.example.com', 'bob', PASSWORD), ['401']);
    // bob answering in his own realm: not this location's realm.
    const nonce = await nonceOf('digest.example.com');
    const foreign = { user: 'bob', password: PASSWORD, realm: 'Another realm', nonce, uri: '/', nc: 1 };
    assert.equal((await get('digest.example.com', '/', digestAuthorization(foreign))).status, 401);
  });

  it('passes the request on to the app with the right answer, and refuses the same answer replayed', async () => {
    const nonce = await nonceOf('digest.example.com');
    const answer = { user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/x', nc: 1 };
    const first = await get('digest.example.com', '/x', digestAuthorization(answer));
    assert.equal(first.status, 200);
    assert.equal(echoOf(first).backend, 'app');
    const replayed = await get('digest.example.com', '/x', digestAuthorization(answer));
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers['www-authenticate'] ?? '', CHALLENGE);
    // The nonce is spent after a replay: the client is told to take a fresh one.
    const next = await get('digest.example.com', '/x', digestAuthorization({ ...answer, nc: 2 }));
    assert.equal(next.status, 401);
    assert.match(next.headers['www-authenticate'] ?? '', /, stale=true$/);
  });

  it('accepts one nonce for several requests, their nonce counts in any order', async () => {
    const nonce = await nonceOf('digest.example.com');
    const answer = { user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/', nc: 1 };
    for (const nc of [1, 2, 5, 3, 4]) {
      const reply = await get('digest.example.com', '/', digestAuthorization({ ...answer, nc }));
      assert.equal(reply.status, 200, `nc ${nc}`);
    }
  });

  it('refuses a forged nonce, nonce count 0 and an answer for another URI', async () => {
    const nonce = await nonceOf('digest.example.com');
    const answer = { user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/', nc: 1 };
    // A later timestamp (a nonce that would live longer) or another MAC: not one the server made.
    const later = (parseInt(nonce.slice(0, 8), 16) + 3600).toString(16).padStart(8, '0') + nonce.slice(8);
    const flipped = nonce.slice(0, -1) + (nonce.endsWith('0') ? '1' : '0');
    for (const forged of [later, flipped, 'a'.repeat(56), `${nonce}00`]) {
      const reply = await get('digest.example.com', '/', digestAuthorization({ ...answer, nonce: forged }));
      assert.equal(reply.status, 401, forged);
      assert.doesNotMatch(reply.headers['www-authenticate'] ?? '', /stale/);
    }
    // Nonce count 0 is none: the counts start at 1.
    const zero = await get('digest.example.com', '/', digestAuthorization({ ...answer, nc: 0 }));
    assert.equal(zero.status, 401);
    assert.doesNotMatch(zero.headers['www-authenticate'] ?? '', /stale/);
    // The answer signs "/" but the request is for "/admin".
    assert.equal((await get('digest.example.com', '/admin', digestAuthorization(answer))).status, 400);
    assert.equal((await get('digest.example.com', '/', digestAuthorization(answer))).status, 200);
  });

  it('answers stale=true once a nonce has served its 20 requests', async () => {
    const nonce = await nonceOf('digest.example.com');
    const answer = { user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/', nc: 20 };
    assert.equal((await get('digest.example.com', '/', digestAuthorization(answer))).status, 200);
    const spent = await get('digest.example.com', '/', digestAuthorization({ ...answer, nc: 21 }));
    assert.equal(spent.status, 401);
    assert.match(
      spent.headers['www-authenticate'] ?? '',
      /^Digest realm="Admins only", nonce="[0-9a-f]{56}", qop="auth", algorithm=MD5, stale=true$/,
    );
  });

  it('with satisfy any, admits a client of the allowlist or one that authenticates', async () => {
    const reply = await get('any.example.com');
    assert.equal(reply.status, 401, 'a client outside the allowlist is asked for credentials');
    assert.match(reply.headers['www-authenticate'] ?? '', CHALLENGE);
    assert.deepEqual(await curl('any.example.com', 'alice', PASSWORD), ['200']);
    assert.deepEqual(await curl('any.example.com', 'alice', 'wrong'), ['401']);
  });

  it('keeps nonces good across a reload (the secret lives in the shared dict)', async () => {
    assert.ok(served);
    const nonce = await nonceOf('digest.example.com');
    const unused = await nonceOf('digest.example.com');
    const answer = { user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/', nc: 1 };
    assert.equal((await get('digest.example.com', '/', digestAuthorization(answer))).status, 200);
    const reloads = served.gatehouse.logs().split('reloaded').length;
    await served.write([
      ...objects,
      ingress({
        name: 'later',
        rules: [{ host: 'later.example.com', paths: [{ service: 'app', port: 80 }] }],
      }),
    ]);
    assert.equal(await eventuallyServed(served.gatehouse, 'later.example.com', '/', '200 app'), '200 app');
    assert.ok(served.gatehouse.logs().split('reloaded').length > reloads, 'NGINX reloaded');
    assert.equal(
      (await get('digest.example.com', '/', digestAuthorization({ ...answer, nc: 2 }))).status,
      200,
    );
    const fresh = { ...answer, nonce: unused };
    assert.equal((await get('digest.example.com', '/', digestAuthorization(fresh))).status, 200);
  });

  it('asks the external auth service first, then for digest credentials', async () => {
    const pass = { 'x-pass': '1' };
    assert.equal((await get('both.example.com')).status, 403, 'the auth service refuses');
    const asked = await request('http', port(), 'both.example.com', '/', { headers: pass });
    assert.equal(asked.status, 401, 'the auth service agrees; digest asks');
    const { nonce = '' } = challengeOf(asked.headers['www-authenticate']);
    const authorization = digestAuthorization({
      user: 'alice',
      password: PASSWORD,
      realm: REALM,
      nonce,
      uri: '/',
      nc: 1,
    });
    const both = await request('http', port(), 'both.example.com', '/', {
      headers: { ...pass, authorization },
    });
    assert.equal(both.status, 200);
    assert.equal(echoOf(both).backend, 'app');
    const second = digestAuthorization({
      user: 'alice',
      password: PASSWORD,
      realm: REALM,
      nonce,
      uri: '/',
      nc: 2,
    });
    assert.equal((await get('both.example.com', '/', second)).status, 403, 'digest alone is not enough');
  });

  it('answers 503 (never serves open) when the Secret is missing or holds a line that is not user:realm:HA1', async () => {
    assert.ok(served);
    assert.equal((await get('missing.example.com')).status, 503);
    assert.deepEqual(await curl('broken.example.com', 'alice', PASSWORD), ['503']);
    const logs = await waitForLog(served.gatehouse, 'broken: user mallory has no realm:HA1');
    assert.match(
      logs,
      /Ingress default\/missing: .*auth-secret default\/nowhere does not exist; its paths answer 503/,
    );
  });

  it('writes the users to a 0600 file of their own, never into nginx.conf', async () => {
    assert.ok(served);
    const conf = await liveConfig(served.gatehouse);
    assert.ok(!conf.includes(htdigestLine('alice', REALM, PASSWORD).slice(-32)));
    const file = /set \$gatehouse_digest_file "([^"]+\/auth\/default_users_[0-9a-f]{12}\.htdigest)";/.exec(
      conf,
    )?.[1];
    assert.ok(file !== undefined, 'the location names its htdigest file');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(path.basename(path.dirname(file)), 'auth');
  });
});
