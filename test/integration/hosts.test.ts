// Host matching: exact hosts, one-label wildcards, unknown hosts, several Ingresses sharing a host, and the
// "oldest Ingress wins" rule when two claim the same host, path and path type.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder, served, waitForLog } from '../support/integration.ts';

describe('hosts', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (host: string, path = '/'): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, host, path);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start([
      'exact',
      'wildcard',
      'shop-cart',
      'shop-pay',
      'old-owner',
      'new-owner',
      'alpha-owner',
      'beta-owner',
    ]);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'hosts.yaml', [
      ingress({
        name: 'exact',
        rules: [{ host: 'app.example.com', paths: [{ service: 'exact', port: 80 }] }],
      }),
      ingress({
        name: 'wildcard',
        rules: [{ host: '*.example.com', paths: [{ service: 'wildcard', port: 80 }] }],
      }),
    ]);
    // Two Ingresses, one host: each adds its own path.
    await writeManifest(manifests, 'shop.yaml', [
      ingress({
        name: 'shop-cart',
        rules: [{ host: 'shop.example.org', paths: [{ path: '/cart', service: 'shop-cart', port: 80 }] }],
      }),
      ingress({
        name: 'shop-pay',
        rules: [{ host: 'shop.example.org', paths: [{ path: '/pay', service: 'shop-pay', port: 80 }] }],
      }),
    ]);
    // Same host, path and type: the older creationTimestamp wins, even though its name sorts last.
    await writeManifest(manifests, 'conflict-by-age.yaml', [
      ingress({
        name: 'zz-old',
        creationTimestamp: '2020-01-01T00:00:00Z',
        rules: [{ host: 'clash.example.org', paths: [{ path: '/api', service: 'old-owner', port: 80 }] }],
      }),
      ingress({
        name: 'aa-new',
        creationTimestamp: '2024-06-01T00:00:00Z',
        rules: [{ host: 'clash.example.org', paths: [{ path: '/api', service: 'new-owner', port: 80 }] }],
      }),
    ]);
    // Same age: namespace/name decides.
    await writeManifest(manifests, 'conflict-by-name.yaml', [
      ingress({
        name: 'beta',
        creationTimestamp: '2022-01-01T00:00:00Z',
        rules: [{ host: 'tie.example.org', paths: [{ path: '/', service: 'beta-owner', port: 80 }] }],
      }),
      ingress({
        name: 'alpha',
        creationTimestamp: '2022-01-01T00:00:00Z',
        rules: [{ host: 'tie.example.org', paths: [{ path: '/', service: 'alpha-owner', port: 80 }] }],
      }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('serves an exact host', async () => {
    assert.equal(await get('app.example.com'), '200 exact');
    assert.equal(await get('app.example.com', '/any/path'), '200 exact');
  });

  it('matches host names case-insensitively, as DNS does', async () => {
    assert.equal(await get('APP.Example.COM'), '200 exact');
  });

  it('a wildcard *.example.com matches exactly one label', async () => {
    assert.equal(await get('foo.example.com'), '200 wildcard');
    assert.equal(await get('example.com'), '404', 'the bare domain is not covered');
    assert.equal(await get('a.b.example.com'), '404', 'two labels are not covered');
  });

  it('an exact host beats a wildcard that also covers it', async () => {
    assert.equal(await get('app.example.com'), '200 exact');
  });

  it('an unknown host gets 404 when there is no default backend', async () => {
    assert.equal(await get('unknown.example.net'), '404');
  });

  it('several Ingresses add paths to one host', async () => {
    assert.equal(await get('shop.example.org', '/cart'), '200 shop-cart');
    assert.equal(await get('shop.example.org', '/pay/now'), '200 shop-pay');
    assert.equal(await get('shop.example.org', '/other'), '404');
  });

  it('the same host, path and type in two Ingresses: the older Ingress serves', async () => {
    assert.ok(gatehouse);
    assert.equal(await get('clash.example.org', '/api'), '200 old-owner');
    const logs = await waitForLog(gatehouse, 'Ingress default/aa-new');
    assert.match(
      logs,
      /Ingress default\/aa-new: spec\.rules\[0\]\.http\.paths\[0\]\.path: .*already served by the older Ingress default\/zz-old/,
    );
  });

  it('with equal creation times, namespace/name order decides', async () => {
    assert.ok(gatehouse);
    assert.equal(await get('tie.example.org', '/'), '200 alpha-owner');
    const logs = await waitForLog(gatehouse, 'Ingress default/beta');
    assert.match(logs, /Ingress default\/beta: .*already served by the older Ingress default\/alpha/);
  });
});
