// External auth as a client sees it, against an oauth2-proxy-like auth service on loopback: without a
// session the client is sent to the sign-in page with its URL in `rd`; with one, the app sees the user the
// auth service named; a 403 verdict refuses; cached verdicts spare the auth service; an auth-url that leads
// to the cloud metadata service is never asked (503).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { annotatedIngress, configMap } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { echoOf, liveConfig, serveFolder, waitForLog, type ServedFolder } from '../support/integration.ts';

/**
 * What oauth2-proxy's /oauth2/auth does: 202 with the user for a good session cookie (and a new cookie
 * when the session is refreshed), 403 for a banned one, else 401.
 */
class AuthService {
  readonly asked: http.IncomingHttpHeaders[] = [];
  private readonly server = http.createServer((req, res) => {
    this.asked.push({ ...req.headers, 'x-test-method': req.method, 'x-test-url': req.url });
    const cookie = req.headers.cookie ?? '';
    if (cookie.includes('session=banned')) res.writeHead(403).end();
    else if (cookie.includes('session=alice'))
      res
        .writeHead(202, {
          'X-Auth-Request-User': 'alice',
          'X-Auth-Request-Email': 'alice@example.com',
          ...(cookie.includes('refresh=1') && { 'Set-Cookie': 'session=alice; Path=/; HttpOnly' }),
        })
        .end();
    else res.writeHead(401, { 'Set-Cookie': 'csrf=1; Path=/' }).end();
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('external auth', () => {
  const auth = new AuthService();
  let served: ServedFolder | undefined;
  const get = (host: string, path: string, cookie?: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, host, path, {
      headers: cookie === undefined ? {} : { cookie },
    });
  };
  const app = annotatedIngress;

  before(async () => {
    const port = await auth.start();
    const url = `http://127.0.0.1:${port}/oauth2/auth`;
    served = await serveFolder(
      ['app'],
      [
        app('shop', {
          'auth-url': url,
          'auth-signin': 'https://login.example.com/oauth2/start',
          'auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email',
          'auth-proxy-set-headers': 'auth-headers',
        }),
        app('cached', {
          'auth-url': url,
          'auth-cache-key': '$cookie_session',
          'auth-cache-duration': '200 202 401 5m',
          'auth-response-headers': 'X-Auth-Request-User',
        }),
        app('plain', { 'auth-url': url }),
        app('office', { 'auth-url': url, 'allowlist-source-range': '127.0.0.2', satisfy: 'any' }),
        app('metadata', { 'auth-url': 'http://169.254.169.254/latest/meta-data/' }),
        configMap({ 'X-Tenant': 'shop' }, 'default', 'auth-headers'),
      ],
      // The auth service listens on loopback, which only an explicit allowance permits.
      ['--external-name-allowed-cidrs', '127.0.0.1/32'],
    );
  });

  after(async () => {
    await served?.stop();
    await auth.close();
  });

  it('sends a client without a session to the sign-in page, with its URL in rd', async () => {
    const reply = await get('shop.example.com', '/orders?page=2');
    assert.equal(reply.status, 302);
    assert.ok(served);
    const here = `shop.example.com:${served.gatehouse.httpPort}`;
    assert.equal(
      reply.headers.location,
      `https://login.example.com/oauth2/start?rd=http://${here}%2Forders%3Fpage%3D2`,
    );
    const asked = auth.asked.at(-1);
    assert.ok(asked);
    assert.equal(asked['x-original-url'], `http://${here}/orders?page=2`);
    assert.equal(asked['x-test-url'], '/oauth2/auth');
    assert.equal(asked['x-tenant'], 'shop', 'auth-proxy-set-headers reach the auth service');
  });

  it("lets a signed-in client through: the app sees the auth service's headers", async () => {
    const reply = await get('shop.example.com', '/orders', 'session=alice; refresh=1');
    assert.equal(reply.status, 200);
    const echo = echoOf(reply);
    assert.equal(echo.backend, 'app');
    assert.equal(echo.headers['x-auth-request-user'], 'alice');
    assert.equal(echo.headers['x-auth-request-email'], 'alice@example.com');
    assert.equal(reply.headers['set-cookie']?.[0], 'session=alice; Path=/; HttpOnly');
  });

  it('answers 401 without a sign-in page, and 403 when the auth service refuses', async () => {
    assert.equal((await get('plain.example.com', '/')).status, 401);
    assert.equal((await get('plain.example.com', '/', 'session=banned')).status, 403);
    assert.equal((await get('shop.example.com', '/', 'session=banned')).status, 403);
  });

  it('satisfy any: the allowlist needs no session, others sign in', async () => {
    assert.ok(served);
    const from = (localAddress: string, cookie?: string) =>
      request('http', served?.gatehouse.httpPort ?? 0, 'office.example.com', '/', {
        localAddress,
        headers: cookie === undefined ? {} : { cookie },
      });
    assert.equal((await from('127.0.0.2')).status, 200);
    assert.equal((await from('127.0.0.1')).status, 401);
    assert.equal((await from('127.0.0.1', 'session=alice')).status, 200);
  });

  it('keeps verdicts in the cache under the Ingress key: the auth service is asked once', async () => {
    const before = auth.asked.length;
    for (let i = 0; i < 3; i++) {
      const reply = await get('cached.example.com', `/n/${i}`, 'session=alice');
      assert.equal(reply.status, 200);
      assert.equal(echoOf(reply).headers['x-auth-request-user'], 'alice');
    }
    assert.equal(auth.asked.length - before, 1);
    // Another key is another verdict.
    assert.equal((await get('cached.example.com', '/', 'session=mallory')).status, 401);
    assert.equal(auth.asked.length - before, 2);
  });

  it('never asks an auth-url that leads to a metadata service: 503, named in the log', async () => {
    assert.ok(served);
    assert.equal((await get('metadata.example.com', '/')).status, 503);
    await waitForLog(served.gatehouse, 'auth-url must not lead to 169.254.169.254');
    const conf = await liveConfig(served.gatehouse);
    assert.ok(!conf.includes('169.254.169.254'));
  });
});
