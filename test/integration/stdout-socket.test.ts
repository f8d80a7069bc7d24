// Gatehouse serves when its stdout is a socket, as under systemd (journald) or a supervisor that collects
// output through node:child_process pipes; NGINX's access log then reaches that socket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { launchGatehouse, waitUntilHealthy, type LaunchedGatehouse } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import { Backends, manifestsFolder, removeFolder, served } from '../support/integration.ts';

const HOST = 'journal.example.com';

describe('stdout is a socket', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: LaunchedGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['journal']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'ingress.yaml', [
      ingress({ name: 'journal', rules: [{ host: HOST, paths: [{ service: 'journal', port: 80 }] }] }),
    ]);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('serves, and the access log reaches stdout', async () => {
    gatehouse = await launchGatehouse(manifests, [], { stdout: 'pipe' });
    await waitUntilHealthy(gatehouse, 8000);
    assert.equal(await served('http', gatehouse.httpPort, HOST, '/journal-check'), '200 journal');
    const g = gatehouse;
    const output = await eventually(
      () => Promise.resolve(g.output()),
      (text) => text.includes('/journal-check'),
    );
    assert.match(output, /"GET \/journal-check HTTP\/1\.1" 200 .*host=journal\.example\.com/);
  });
});
