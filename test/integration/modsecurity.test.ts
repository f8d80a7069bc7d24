// ModSecurity with the OWASP Core Rule Set, as a client sees it: an attack the rules recognise gets 403, a
// clean request reaches the app, an Ingress that turns ModSecurity off is not filtered, an Ingress's own
// rules apply to its paths only, and rules ModSecurity cannot parse refuse their Ingress alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { annotatedIngress, configMap } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { echoOf, liveConfig, serveFolder, waitForLog, type ServedFolder } from '../support/integration.ts';

const XSS = '/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E';
const SQLI = "/items?id=1'%20OR%20'1'%3D'1";

describe('ModSecurity', () => {
  let served: ServedFolder | undefined;
  const get = (host: string, path: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, host, path);
  };
  const app = annotatedIngress;

  before(async () => {
    served = await serveFolder(
      ['app'],
      [
        configMap({
          'enable-modsecurity': 'true',
          'enable-owasp-modsecurity-crs': 'true',
          'modsecurity-snippet': 'SecRuleEngine On\n',
          'allow-snippet-annotations': 'true',
          'annotations-risk-level': 'Critical',
        }),
        app('shop'),
        app('legacy', { 'enable-modsecurity': 'false' }),
        app('custom', {
          'modsecurity-snippet':
            'SecRule REQUEST_URI "@beginsWith /admin" \\\n  "id:100001,phase:1,deny,status:403,log"\n',
        }),
        app('broken', { 'modsecurity-snippet': 'SecRule ARGS\n' }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('refuses what the Core Rule Set recognises (403), and lets a clean request through', async () => {
    assert.equal((await get('shop.example.com', XSS)).status, 403);
    assert.equal((await get('shop.example.com', SQLI)).status, 403);
    const clean = await get('shop.example.com', '/search?q=running+shoes');
    assert.equal(clean.status, 200);
    assert.equal(echoOf(clean).backend, 'app');
  });

  it('does not filter the paths of an Ingress that turns it off', async () => {
    const reply = await get('legacy.example.com', XSS);
    assert.equal(reply.status, 200);
    assert.equal(echoOf(reply).backend, 'app');
  });

  it("applies an Ingress's own rules to its paths only", async () => {
    assert.equal((await get('custom.example.com', '/admin/users')).status, 403);
    assert.equal((await get('custom.example.com', '/shop')).status, 200);
    assert.equal((await get('shop.example.com', '/admin/users')).status, 200);
  });

  it('refuses the Ingress whose rules ModSecurity cannot parse, alone, naming it', async () => {
    assert.ok(served);
    // ModSecurity's own parser found it, when NGINX tested the config.
    await waitForLog(
      served.gatehouse,
      /Ingress default\/broken: NGINX refused the configuration made with this object: .*Rules error\. File: \S+\/modsecurity\/default_broken_[0-9a-f]{12}\.conf\. Line: 1/,
    );
    assert.equal((await get('broken.example.com', '/')).status, 404);
    const conf = await liveConfig(served.gatehouse);
    assert.ok(!conf.includes('broken.example.com'));
    assert.ok(conf.includes('custom.example.com'));
  });
});

describe('ModSecurity per Ingress, off in the ConfigMap', () => {
  let served: ServedFolder | undefined;
  const get = (host: string, path: string) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, host, path);
  };

  before(async () => {
    const annotated = annotatedIngress;
    const crs = { 'enable-modsecurity': 'true', 'enable-owasp-core-rules': 'true' };
    served = await serveFolder(
      ['app'],
      [
        configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' }),
        annotated('watched', crs),
        annotated('guarded', { ...crs, 'modsecurity-snippet': 'SecRuleEngine On' }),
        annotated('plain', {}),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('only logs by default (detection only, as ingress-nginx), and blocks once the rules say SecRuleEngine On', async () => {
    assert.ok(served);
    assert.equal((await get('watched.example.com', XSS)).status, 200);
    assert.equal((await get('guarded.example.com', XSS)).status, 403);
    assert.equal((await get('guarded.example.com', '/search?q=shoes')).status, 200);
    assert.equal((await get('plain.example.com', XSS)).status, 200);
    // What the rules found is logged as a warning, naming the request's host.
    await waitForLog(
      served.gatehouse,
      /warn .*ModSecurity: Warning\. detected XSS using libinjection\..*watched\.example\.com/,
    );
  });
});
