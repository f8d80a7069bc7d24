// When `nginx -t` refuses a configuration because of one object (here an ExternalName Service whose name
// does not resolve), the controller leaves that object out, serves everything else, and logs NGINX's own
// message.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { externalNameService, ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import {
  Backends,
  eventuallyServed,
  liveConfig,
  manifestsFolder,
  removeFolder,
  served,
  waitForLog,
} from '../support/integration.ts';

const simple = (name: string, host: string, service: string): ReturnType<typeof ingress> =>
  ingress({ name, rules: [{ host, paths: [{ service, port: 80 }] }] });

describe('an object NGINX refuses', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (host: string): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, host, '/');
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['good', 'later']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'good.yaml', [simple('good', 'good.example.com', 'good')]);
    // Present at startup: the very first configuration must not be blocked by it.
    await writeManifest(manifests, 'nowhere.yaml', [
      externalNameService('nowhere', 'does-not-exist.invalid'),
      simple('nowhere', 'nowhere.example.com', 'nowhere'),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('starts serving everything else', async () => {
    assert.equal(await get('good.example.com'), '200 good');
  });

  it("logs NGINX's own message and names the object left out", async () => {
    assert.ok(gatehouse);
    const logs = await waitForLog(gatehouse, 'host not found in upstream');
    assert.match(
      logs,
      /nginx rejected the configuration; leaving out the object it points at.*"object":"Service default\/nowhere".*host not found in upstream \\?"does-not-exist\.invalid:80\\?"/,
    );
  });

  it('the Ingress using the left-out Service answers 503, and NGINX never saw the name', async () => {
    assert.ok(gatehouse);
    assert.equal(await get('nowhere.example.com'), '503');
    assert.ok(!(await liveConfig(gatehouse)).includes('does-not-exist.invalid'));
  });

  it('a second such object added while running is left out too; a good change in the same write lands', async () => {
    assert.ok(gatehouse);
    await writeManifest(manifests, 'later.yaml', [
      externalNameService('also-nowhere', 'also-does-not-exist.invalid'),
      simple('also-nowhere', 'also-nowhere.example.com', 'also-nowhere'),
      simple('later', 'later.example.com', 'later'),
    ]);
    assert.equal(await eventuallyServed(gatehouse, 'later.example.com', '/', '200 later'), '200 later');
    const logs = await waitForLog(gatehouse, '"object":"Service default/also-nowhere"');
    assert.match(logs, /host not found in upstream \\?"also-does-not-exist\.invalid:80\\?"/);
    assert.equal(await get('also-nowhere.example.com'), '503');
    assert.equal(await get('good.example.com'), '200 good');
  });
});
