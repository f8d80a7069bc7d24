import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder } from '../support/integration.ts';

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
  let dir: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    dir = await manifestsFolder();
    backends = await Backends.start(['web']);
    await writeManifest(dir, 'web.yaml', [
      ingress({
        name: 'web',
        rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
      }),
      ...backends.services(),
    ]);
    gatehouse = await startGatehouse(dir);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(dir);
  });

  it('NGINX also answers on [::1], and the pod sees the client’s IPv6 address', async () => {
    const reply = await getOverIpv6(gatehouse!.httpPort, 'web.example.com');
    assert.equal(reply.status, 200);
    const echoed = JSON.parse(reply.body) as { backend: string; headers: Record<string, string> };
    assert.equal(echoed.backend, 'web');
    assert.equal(echoed.headers['x-real-ip'], '::1');
  });
});
