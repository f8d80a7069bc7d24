// configuration-snippet and server-snippet as a client sees them, once the admin allows snippets: the headers
// they set are there, the paths they deny are refused, their fixed answers are served, their rewrites reach
// the backend; a snippet with a directive outside the list refuses its Ingress alone, naming the directive;
// without the admin's consent every snippet is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { annotatedIngress, configMap } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { echoOf, liveConfig, serveFolder, waitForLog, type ServedFolder } from '../support/integration.ts';

const snippetIngress = (name: string, snippet: string) =>
  annotatedIngress(name, { 'configuration-snippet': snippet });

/** A plain HTTP request through the served NGINX, optionally from another loopback address. */
function getFrom(served: ServedFolder | undefined, host: string, path: string, localAddress?: string) {
  assert.ok(served);
  return request(
    'http',
    served.gatehouse.httpPort,
    host,
    path,
    localAddress === undefined ? {} : { localAddress },
  );
}

describe('configuration-snippet, allowed by the admin', () => {
  let served: ServedFolder | undefined;
  const get = (host: string, path = '/', localAddress?: string) => getFrom(served, host, path, localAddress);

  before(async () => {
    served = await serveFolder(
      ['app'],
      [
        configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' }),
        snippetIngress(
          'headers',
          'more_set_headers "X-Frame-Options: DENY";\nproxy_set_header X-Tenant "shop";\n',
        ),
        snippetIngress('robots', 'return 200 "User-agent: *\\nDisallow: /\\n";'),
        snippetIngress('private', 'allow 127.0.0.2; deny all;'),
        snippetIngress('moved', 'rewrite ^/old/(.*)$ /new/$1 break;'),
        snippetIngress('evil', 'proxy_pass http://169.254.169.254/;'),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('sets the response and request headers the snippet names', async () => {
    const reply = await get('headers.example.com');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-frame-options'], 'DENY');
    assert.equal(echoOf(reply).headers['x-tenant'], 'shop');
  });

  it('serves the fixed answer', async () => {
    const reply = await get('robots.example.com', '/robots.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'User-agent: *\nDisallow: /\n');
  });

  it('rewrites the URI the backend sees', async () => {
    const reply = await get('moved.example.com', '/old/page?q=1');
    assert.equal(reply.status, 200);
    assert.equal(echoOf(reply).url, '/new/page?q=1');
    assert.equal(echoOf(await get('moved.example.com', '/other')).url, '/other');
  });

  it('applies allow and deny in order', async () => {
    assert.equal((await get('private.example.com')).status, 403);
    assert.equal((await get('private.example.com', '/', '127.0.0.2')).status, 200);
  });

  it('refuses a snippet with another directive, naming it, and serves the rest', async () => {
    assert.ok(served);
    await waitForLog(
      served.gatehouse,
      /Ingress default\/evil: .*configuration-snippet\]: proxy_pass is not allowed in a snippet/,
    );
    assert.equal((await get('evil.example.com')).status, 404);
    assert.ok(!(await liveConfig(served.gatehouse)).includes('169.254.169.254'));
  });
});

describe('configuration-snippet without the admin', () => {
  let served: ServedFolder | undefined;

  before(async () => {
    served = await serveFolder(['app'], [snippetIngress('headers', 'more_set_headers "X-A: b";')]);
  });

  after(async () => {
    await served?.stop();
  });

  it('refuses the Ingress', async () => {
    assert.ok(served);
    await waitForLog(served.gatehouse, /Ingress default\/headers: .*snippet annotations are disabled/);
    assert.equal((await request('http', served.gatehouse.httpPort, 'headers.example.com', '/')).status, 404);
  });
});

describe('server-snippet, allowed by the admin', () => {
  let served: ServedFolder | undefined;
  const get = (path: string, host = 'site.example.com', localAddress?: string) =>
    getFrom(served, host, path, localAddress);

  before(async () => {
    served = await serveFolder(
      ['app'],
      [
        configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' }),
        annotatedIngress('site', {
          'server-snippet': [
            'add_header X-Site-Wide "1";',
            'proxy_set_header X-Tenant "site";',
            'location = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }',
            'location /metrics { allow 127.0.0.2; deny all; }',
            'rewrite ^/v1/(.*)$ /v2/$1 break;',
            'rewrite ^/legacy$ https://site.example.com/ permanent;',
          ].join('\n'),
        }),
        annotatedIngress('evil', { 'server-snippet': 'listen 8081;\nlocation = /x { return 200 "x"; }' }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it("answers robots.txt from the snippet's location, never the backend", async () => {
    const reply = await get('/robots.txt');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'User-agent: *\nDisallow: /\n');
    assert.equal(reply.headers['x-site-wide'], '1');
  });

  it('refuses /metrics and below with 403 while / is proxied with the host-wide headers', async () => {
    assert.equal((await get('/metrics')).status, 403);
    assert.equal((await get('/metrics/cpu')).status, 403);
    const root = await get('/');
    assert.equal(root.status, 200);
    assert.equal(root.headers['x-site-wide'], '1');
    assert.equal(echoOf(root).headers['x-tenant'], 'site');
    // An Ingress Prefix path, not NGINX's string prefix: /metricsx is the app's.
    assert.equal((await get('/metricsx')).status, 200);
  });

  it('rewrites for the whole host: the backend sees the new URI, a URL redirects', async () => {
    assert.equal(echoOf(await get('/v1/items')).url, '/v2/items');
    const legacy = await get('/legacy');
    assert.equal(legacy.status, 301);
    assert.equal(legacy.headers.location, 'https://site.example.com/');
  });

  it('lets an allowed client through to a 404: the location has no backend', async () => {
    assert.equal((await get('/metrics', 'site.example.com', '127.0.0.2')).status, 404);
  });

  it('refuses a server-snippet with another directive, naming it, and serves the rest', async () => {
    assert.ok(served);
    await waitForLog(
      served.gatehouse,
      /Ingress default\/evil: .*server-snippet\]: listen is not allowed in a server-snippet/,
    );
    assert.equal((await get('/x', 'evil.example.com')).status, 404);
    assert.ok(!(await liveConfig(served.gatehouse)).includes('8081'));
  });
});
