// Requests no rule matches: an Ingress spec.defaultBackend first, else --default-backend-service, else 404
// (the 404 case is in hosts.test.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, eventuallyServed, manifestsFolder, removeFolder, served } from '../support/integration.ts';

describe('default backends', () => {
  let manifests: string | undefined;
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (host: string, urlPath = '/'): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, host, urlPath);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['app', 'fallback', 'ingress-default']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'app.yaml', [
      ingress({
        name: 'app',
        rules: [{ host: 'app.example.com', paths: [{ path: '/app', service: 'app', port: 80 }] }],
      }),
    ]);
    gatehouse = await startGatehouse(manifests, ['--default-backend-service', 'default/fallback']);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('an unknown host goes to --default-backend-service', async () => {
    assert.equal(await get('nobody.example.net'), '200 fallback');
  });

  it('a known host without a matching path goes to --default-backend-service too', async () => {
    assert.equal(await get('app.example.com', '/app'), '200 app');
    assert.equal(await get('app.example.com', '/elsewhere'), '200 fallback');
  });

  it('an Ingress defaultBackend takes precedence over --default-backend-service', async () => {
    assert.ok(gatehouse && manifests);
    await writeManifest(manifests, 'catch-all.yaml', [
      ingress({ name: 'catch-all', defaultBackend: { service: 'ingress-default', port: 80 } }),
    ]);
    assert.equal(
      await eventuallyServed(gatehouse, 'nobody.example.net', '/', '200 ingress-default'),
      '200 ingress-default',
    );
    // Removing it gives unknown hosts back to the flag's Service.
    await rm(path.join(manifests, 'catch-all.yaml'));
    assert.equal(
      await eventuallyServed(gatehouse, 'nobody.example.net', '/', '200 fallback'),
      '200 fallback',
    );
  });
});
