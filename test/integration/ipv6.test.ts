import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ingress } from '../support/fixtures.ts';
import { serveFolder, type ServedFolder } from '../support/integration.ts';

/** GET over IPv6 loopback, as a dual-stack client would connect. */
function getOverIpv6(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '::1', family: 6, port, path: '/', headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

describe('IPv6', () => {
  let served: ServedFolder | undefined;

  before(async () => {
    served = await serveFolder(
      ['web'],
      [
        ingress({
          name: 'web',
          rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        }),
      ],
    );
  });

  after(() => served?.stop());

  it('NGINX also answers on [::1], and the pod sees the client’s IPv6 address', async () => {
    const reply = await getOverIpv6(served!.gatehouse.httpPort, 'web.example.com');
    assert.equal(reply.status, 200);
    const echoed = JSON.parse(reply.body) as { backend: string; headers: Record<string, string> };
    assert.equal(echoed.backend, 'web');
    assert.equal(echoed.headers['x-real-ip'], '::1');
  });
});
