// Basic authentication as a client sees it: 401 with the realm without credentials or with a wrong
// password, 200 with a user of the Secret (every accepted hash format, checked by NGINX itself), and 503
// (never an open door) when the Secret is missing or holds something NGINX could not check.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { HASHES, PASSWORD, basic, opaqueSecret } from '../support/htpasswd.ts';
import { echoOf, liveConfig, serveFolder, waitForLog, type ServedFolder } from '../support/integration.ts';

const USERS = Object.entries(HASHES).map(([format, hash]) => `${format}:${hash}`);

describe('basic authentication', () => {
  let served: ServedFolder | undefined;
  const get = (host: string, authorization?: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, host, '/', {
      headers: authorization === undefined ? {} : { authorization },
    });
  };
  const protectedBy = (name: string, host: string, annotations: Record<string, string>) =>
    ingress({
      name,
      annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', ...annotations },
      rules: [{ host, paths: [{ service: 'app', port: 80 }] }],
    });

  before(async () => {
    served = await serveFolder(
      ['app'],
      [
        protectedBy('file', 'file.example.com', {
          'nginx.ingress.kubernetes.io/auth-secret': 'users',
          'nginx.ingress.kubernetes.io/auth-realm': 'Admins only',
        }),
        protectedBy('map', 'map.example.com', {
          'nginx.ingress.kubernetes.io/auth-secret': 'default/user-map',
          'nginx.ingress.kubernetes.io/auth-secret-type': 'auth-map',
        }),
        protectedBy('missing', 'missing.example.com', {
          'nginx.ingress.kubernetes.io/auth-secret': 'nowhere',
        }),
        protectedBy('plain', 'plain.example.com', {
          'nginx.ingress.kubernetes.io/auth-secret': 'plain-users',
        }),
        opaqueSecret('users', { auth: `# admins\n${USERS.join('\n')}\n` }),
        opaqueSecret('user-map', { alice: HASHES.bcrypt, bob: HASHES.apr1 }),
        opaqueSecret('plain-users', { auth: 'eve:{PLAIN}open sesame\n' }),
      ],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('asks for credentials with the realm: 401 without them, or with a wrong password', async () => {
    const none = await get('file.example.com');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Admins only"');
    assert.equal((await get('file.example.com', basic('sha512', 'wrong'))).status, 401);
    assert.equal((await get('file.example.com', basic('nobody', PASSWORD))).status, 401);
  });

  it('lets a user of the Secret through, whatever the hash format', async () => {
    for (const format of Object.keys(HASHES)) {
      const reply = await get('file.example.com', basic(format, PASSWORD));
      assert.equal(reply.status, 200, `${format}: ${reply.status}`);
      assert.equal(echoOf(reply).backend, 'app');
    }
  });

  it('reads an auth-map Secret: one key per user', async () => {
    assert.equal((await get('map.example.com', basic('alice', PASSWORD))).status, 200);
    assert.equal((await get('map.example.com', basic('bob', PASSWORD))).status, 200);
    assert.equal(
      (await get('map.example.com')).headers['www-authenticate'],
      'Basic realm="Authentication Required"',
    );
  });

  it('answers 503 (never serves open) when the Secret is missing or unusable, naming it in the log', async () => {
    assert.ok(served);
    assert.equal((await get('missing.example.com')).status, 503);
    assert.equal((await get('missing.example.com', basic('sha512', PASSWORD))).status, 503);
    assert.equal((await get('plain.example.com', basic('eve', PASSWORD))).status, 503);
    const logs = await waitForLog(served.gatehouse, 'plain-users: user eve has no supported password hash');
    assert.match(
      logs,
      /Ingress default\/missing: .*auth-secret default\/nowhere does not exist; its paths answer 503/,
    );
  });

  it('writes the users to a file of their own, never into nginx.conf', async () => {
    assert.ok(served);
    const conf = await liveConfig(served.gatehouse);
    assert.ok(!conf.includes(HASHES.bcrypt));
    assert.match(conf, /auth_basic_user_file "[^"]+\/auth\/default_users_[0-9a-f]{12}\.htpasswd";/);
  });
});
