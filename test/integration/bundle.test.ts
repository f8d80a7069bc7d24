// The bundle (scripts/bundle.ts, ADR 0016) is what the image and the scale bench run; the other tests run the
// sources. Built here from the current sources and run from a folder without node_modules, it must serve as
// they do: templates, Lua files and package.json found beside it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { bundledApp, type BundledApp } from '../support/bundled-app.ts';
import { certificateFor, ingress, tlsSecret, writeManifest } from '../support/fixtures.ts';
import {
  REPO_ROOT,
  launchGatehouse,
  waitUntilHealthy,
  type RunningGatehouse,
} from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder, served } from '../support/integration.ts';
import { request } from '../support/http-client.ts';

describe('the bundle', () => {
  let app: BundledApp | undefined;
  let backends: Backends | undefined;
  let dir: string | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    app = await bundledApp();
    backends = await Backends.start(['web']);
    dir = await manifestsFolder();
    await writeManifest(dir, 'app.yaml', [
      tlsSecret('web-tls', await certificateFor('web.example.com')),
      ingress({
        name: 'web',
        rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
      }),
      ...backends.services(),
    ]);
    gatehouse = await launchGatehouse(dir, [], { entry: app.entry });
    await waitUntilHealthy(gatehouse);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(dir);
    await app?.remove();
  });

  it('serves a manifests folder through NGINX, over HTTP and HTTPS', async () => {
    assert.equal(await served('http', gatehouse!.httpPort, 'web.example.com', '/'), '308');
    const reply = await request('https', gatehouse!.httpsPort, 'web.example.com', '/');
    assert.equal(reply.certificateCN, 'web.example.com');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /"backend":"web"/);
  });

  it('runs the CLI: its version from the package.json beside it', async () => {
    const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const { stdout } = await promisify(execFile)(process.execPath, [app!.entry, '--version']);
    assert.equal(stdout.trim(), version);
  });
});
