// Allow- and denylists as a client sees them: clients on other loopback addresses (127.0.0.2, .3, ...)
// are admitted or refused with 403 by the list their Ingress names, before the request reaches the pod;
// behind trusted proxies (use-forwarded-headers) the client is the address the proxy reports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configMap, ingress } from '../support/fixtures.ts';
import { request } from '../support/http-client.ts';
import { countMatches, echoOf, liveConfig, serveFolder, type ServedFolder } from '../support/integration.ts';

const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';
const PROXY = '127.0.0.4';
const STRANGER = '127.0.0.5';

describe('allow- and denylists', () => {
  let served: ServedFolder | undefined;
  const from = async (
    localAddress: string,
    host: string,
    urlPath = '/',
    headers: Record<string, string> = {},
  ): Promise<string> => {
    assert.ok(served);
    const reply = await request('http', served.gatehouse.httpPort, host, urlPath, { localAddress, headers });
    return reply.status === 200 ? `200 ${echoOf(reply).backend}` : String(reply.status);
  };

  before(async () => {
    served = await serveFolder(
      ['admin', 'open'],
      [
        ingress({
          name: 'admin',
          annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': `${CLIENT_A}/32, 10.0.0.0/8` },
          rules: [
            {
              host: 'admin.example.com',
              paths: [
                { path: '/', service: 'admin', port: 80 },
                { path: '/api', service: 'admin', port: 80 },
              ],
            },
          ],
        }),
        // Another Ingress, the same list written differently: one geo block serves both.
        ingress({
          name: 'admin2',
          annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': `10.1.2.3/8,${CLIENT_A}` },
          rules: [{ host: 'admin2.example.com', paths: [{ path: '/', service: 'admin', port: 80 }] }],
        }),
        ingress({
          name: 'open',
          annotations: {
            'nginx.ingress.kubernetes.io/allowlist-source-range': '127.0.0.0/8',
            'nginx.ingress.kubernetes.io/denylist-source-range': CLIENT_B,
          },
          rules: [{ host: 'open.example.com', paths: [{ service: 'open', port: 80 }] }],
        }),
      ],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('an allowlist admits the listed client on every path and refuses the others with 403', async () => {
    assert.equal(await from(CLIENT_A, 'admin.example.com'), '200 admin');
    assert.equal(await from(CLIENT_A, 'admin.example.com', '/api/x'), '200 admin');
    assert.equal(await from(CLIENT_B, 'admin.example.com'), '403');
    assert.equal(await from(CLIENT_B, 'admin.example.com', '/api/x'), '403');
    assert.equal(await from('127.0.0.1', 'admin.example.com'), '403');
  });

  it('a refused client never reaches the pod', async () => {
    assert.ok(served);
    const admin = served.backends.get('admin');
    const before = admin.hits();
    for (let i = 0; i < 3; i++) assert.equal(await from(CLIENT_B, 'admin.example.com'), '403');
    assert.equal(admin.hits(), before);
  });

  it('a denylist refuses its clients even inside the allowlist', async () => {
    assert.equal(await from(CLIENT_A, 'open.example.com'), '200 open');
    assert.equal(await from(CLIENT_B, 'open.example.com'), '403');
  });

  it('renders each distinct list once, whichever Ingresses and paths use it', async () => {
    assert.ok(served);
    assert.equal(await from(CLIENT_A, 'admin2.example.com'), '200 admin');
    assert.equal(await from(CLIENT_B, 'admin2.example.com'), '403');
    const conf = await liveConfig(served.gatehouse);
    assert.equal(countMatches(conf, /^\s+geo \$gatehouse_allowlist_/gm), 2, 'two distinct allowlists');
    assert.equal(countMatches(conf, /^\s+geo \$gatehouse_denylist_/gm), 1);
    assert.equal(countMatches(conf, `${CLIENT_A} 0;`), 1, 'the shared list is printed once');
  });
});

describe('allowlists behind trusted proxies (use-forwarded-headers)', () => {
  let served: ServedFolder | undefined;
  const via = async (localAddress: string, forwardedFor: string | undefined) => {
    assert.ok(served);
    return request('http', served.gatehouse.httpPort, 'admin.example.com', '/', {
      localAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
  };

  before(async () => {
    served = await serveFolder(
      ['admin'],
      [
        ingress({
          name: 'admin',
          annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': CLIENT_A },
          rules: [{ host: 'admin.example.com', paths: [{ service: 'admin', port: 80 }] }],
        }),
        configMap({
          'use-forwarded-headers': 'true',
          'proxy-real-ip-cidr': PROXY,
          'compute-full-forwarded-for': 'true',
        }),
      ],
      ['--configmap', 'ops/gatehouse'],
    );
  });

  after(async () => {
    await served?.stop();
  });

  it('judges the client the trusted proxy reports, and the pod sees that client', async () => {
    const admitted = await via(PROXY, CLIENT_A);
    assert.equal(admitted.status, 200);
    const { headers } = echoOf(admitted);
    assert.equal(headers['x-real-ip'], CLIENT_A);
    assert.equal(headers['x-forwarded-for'], `${CLIENT_A}, ${PROXY}`);
    assert.equal((await via(PROXY, '10.9.9.9')).status, 403);
    assert.equal((await via(PROXY, `${CLIENT_A}, 10.9.9.9`)).status, 403, 'the nearest untrusted hop counts');
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    assert.equal((await via(STRANGER, CLIENT_A)).status, 403);
    assert.equal((await via(CLIENT_A, '10.9.9.9')).status, 200, 'the peer itself is listed');
  });
});
