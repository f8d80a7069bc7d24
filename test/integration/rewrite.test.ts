// What the pod sees when an ingress-nginx Ingress rewrites: rewrite-target with capture groups, use-regex,
// X-Forwarded-Prefix, and what becomes of a plain Ingress that shares the regex host.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { echoOf, serveFolder, served, type ServedFolder } from '../support/integration.ts';

const A = 'nginx.ingress.kubernetes.io/';
const SHARED = 'rewrite.example.com';
const REGEX = 'regex.example.com';

describe('rewrite-target and regex paths, through real NGINX', () => {
  let folder: ServedFolder | undefined;

  before(async () => {
    folder = await serveFolder(
      ['api', 'web', 'items'],
      [
        ingress({
          name: 'api',
          annotations: { [`${A}rewrite-target`]: '/$2', [`${A}x-forwarded-prefix`]: '/api' },
          rules: [
            {
              host: SHARED,
              paths: [
                { path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'api', port: 80 },
              ],
            },
          ],
        }),
        ingress({
          name: 'web',
          rules: [
            {
              host: SHARED,
              paths: [
                { path: '/web', pathType: 'Prefix', service: 'web', port: 80 },
                { path: '/exact', pathType: 'Exact', service: 'web', port: 80 },
              ],
            },
          ],
        }),
        ingress({
          name: 'items',
          annotations: { [`${A}use-regex`]: 'true' },
          rules: [
            {
              host: REGEX,
              paths: [
                { path: '/v[0-9]+/items', pathType: 'ImplementationSpecific', service: 'items', port: 80 },
              ],
            },
          ],
        }),
      ],
    );
  });

  after(async () => {
    await folder?.stop();
  });

  const podSees = async (host: string, path: string) => {
    assert.ok(folder);
    const reply = await request('http', folder.gatehouse.httpPort, host, path);
    assert.equal(reply.status, 200, `${path}: ${reply.body.slice(0, 200)}`);
    return echoOf(reply);
  };

  it('hands the pod the second capture group, with the query string', async () => {
    const echo = await podSees(SHARED, '/api/users/7?x=1');
    assert.equal(echo.backend, 'api');
    assert.equal(echo.url, '/users/7?x=1');
    assert.equal(echo.headers['x-forwarded-prefix'], '/api');
    assert.equal(echo.headers['x-forwarded-host'], `${SHARED}:${folder?.gatehouse.httpPort ?? 0}`);
  });

  it('matches regex paths case-insensitively, as ingress-nginx does', async () => {
    assert.equal((await podSees(SHARED, '/API/Users')).url, '/Users');
  });

  it('rewrites the bare prefix to /', async () => {
    assert.equal((await podSees(SHARED, '/api')).url, '/');
  });

  it('does not match /apix, which the regex does not allow', async () => {
    assert.ok(folder);
    assert.equal(await served('http', folder.gatehouse.httpPort, SHARED, '/apix'), '404');
  });

  it('keeps the plain Ingress on the shared host element-wise and unrewritten', async () => {
    assert.ok(folder);
    const echo = await podSees(SHARED, '/web/page');
    assert.equal(echo.backend, 'web');
    assert.equal(echo.url, '/web/page');
    assert.equal(echo.headers['x-forwarded-prefix'], undefined);
    assert.equal(await served('http', folder.gatehouse.httpPort, SHARED, '/webpage'), '404');
    assert.equal(await served('http', folder.gatehouse.httpPort, SHARED, '/exact'), '200 web');
    assert.equal(await served('http', folder.gatehouse.httpPort, SHARED, '/exact/more'), '404');
  });

  it('serves use-regex paths as regexes, URI unchanged', async () => {
    assert.ok(folder);
    const echo = await podSees(REGEX, '/v12/items');
    assert.equal(echo.backend, 'items');
    assert.equal(echo.url, '/v12/items');
    assert.equal(await served('http', folder.gatehouse.httpPort, REGEX, '/vx/items'), '404');
  });
});
