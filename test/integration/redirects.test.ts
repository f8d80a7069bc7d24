// What a client sees of the redirect annotations through real NGINX: the code and Location of
// permanent- and temporal-redirect, app-root, from-to-www-redirect, the HTTPS redirect with and without
// preserve-trailing-slash and use-port-in-redirects, and a host reached through server-alias.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { serveFolder, served, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';
const site = (host: string, annotations: Record<string, string>) =>
  ingress({
    name: host.replaceAll('.', '-'),
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }],
  });

describe('redirect annotations, through real NGINX', () => {
  let folder: ServedFolder | undefined;

  before(async () => {
    folder = await serveFolder(
      ['web'],
      [
        site('old.example.com', {
          'permanent-redirect': 'https://new.example.com/landing?from=old',
          'permanent-redirect-code': '308',
        }),
        site('moved.example.com', { 'permanent-redirect': 'https://new.example.com/' }),
        site('status.example.com', { 'temporal-redirect': 'https://maintenance.example.com/' }),
        site('www.shop.example.com', {
          'app-root': '/app/',
          'from-to-www-redirect': 'true',
          'server-alias': 'shop.example.org',
        }),
        site('secure.example.com', { 'force-ssl-redirect': 'true' }),
        site('keep.example.com', { 'force-ssl-redirect': 'true', 'preserve-trailing-slash': 'true' }),
        site('port.example.com', { 'force-ssl-redirect': 'true', 'use-port-in-redirects': 'true' }),
      ],
    );
  });

  after(async () => {
    await folder?.stop();
  });

  const get = async (host: string, path: string) => {
    assert.ok(folder);
    const reply = await request('http', folder.gatehouse.httpPort, host, path);
    return { status: reply.status, location: reply.headers.location };
  };

  it('answers permanent-redirect with its code and the URL as given, whatever the path', async () => {
    assert.deepEqual(await get('old.example.com', '/any/path?x=1'), {
      status: 308,
      location: 'https://new.example.com/landing?from=old',
    });
    assert.deepEqual(await get('moved.example.com', '/'), {
      status: 301,
      location: 'https://new.example.com/',
    });
  });

  it('answers temporal-redirect with 302', async () => {
    assert.deepEqual(await get('status.example.com', '/'), {
      status: 302,
      location: 'https://maintenance.example.com/',
    });
  });

  it('redirects / to app-root, and serves everything else', async () => {
    assert.ok(folder);
    const port = folder.gatehouse.httpPort;
    assert.deepEqual(await get('www.shop.example.com', '/'), {
      status: 302,
      location: `http://www.shop.example.com:${port}/app/`,
    });
    assert.equal(await served('http', port, 'www.shop.example.com', '/app/'), '200 web');
  });

  it('redirects the www-less name to the www host, keeping path, query and port', async () => {
    assert.ok(folder);
    assert.deepEqual(await get('shop.example.com', '/cart/?id=7'), {
      status: 308,
      location: `http://www.shop.example.com:${folder.gatehouse.httpPort}/cart/?id=7`,
    });
  });

  it('serves the server-alias name like the host', async () => {
    assert.ok(folder);
    assert.equal(await served('http', folder.gatehouse.httpPort, 'shop.example.org', '/app/'), '200 web');
  });

  it('drops a trailing slash in the HTTPS redirect as ingress-nginx does, unless preserve-trailing-slash', async () => {
    assert.deepEqual(await get('secure.example.com', '/docs/'), {
      status: 308,
      location: `https://secure.example.com/docs`,
    });
    assert.deepEqual(await get('keep.example.com', '/docs/'), {
      status: 308,
      location: `https://keep.example.com/docs/`,
    });
  });

  it('names the HTTPS port NGINX listens on only with use-port-in-redirects, as ingress-nginx', async () => {
    assert.ok(folder);
    // Without it, clients are sent to 443, where a Service or load balancer forwards to NGINX.
    assert.deepEqual(await get('secure.example.com', '/docs?x=1'), {
      status: 308,
      location: 'https://secure.example.com/docs?x=1',
    });
    assert.deepEqual(await get('port.example.com', '/docs?x=1'), {
      status: 308,
      location: `https://port.example.com:${folder.gatehouse.httpsPort}/docs?x=1`,
    });
  });
});
