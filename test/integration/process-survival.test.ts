// The controller survives what its surroundings do to it, and NGINX never outlives it holding the ports:
// a closed stdout/stderr (the reader went away) is not fatal, and a controller killed without a chance to
// stop NGINX is replaced by one that takes the conf dir and ports over.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingress, writeManifest } from '../support/fixtures.ts';
import {
  killNginx,
  launchGatehouse,
  waitUntilHealthy,
  type LaunchedGatehouse,
} from '../support/gatehouse-process.ts';
import { Backends, eventuallyServed, manifestsFolder, removeFolder, served } from '../support/integration.ts';

const site = (host: string) =>
  ingress({ name: 'web', rules: [{ host, paths: [{ service: 'web', port: 80 }] }] });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the controller process and its NGINX', () => {
  let manifests = '';
  let backends: Backends | undefined;
  const running: LaunchedGatehouse[] = [];
  const write = (host: string): Promise<string> =>
    writeManifest(manifests, 'web.yaml', [...backends!.services(), site(host)]);

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['web']);
    await write('one.example.com');
  });
  after(async () => {
    for (const g of running) {
      await g.stop();
      killNginx(g.confDir);
    }
    await backends?.close();
    await removeFolder(manifests);
  });

  it('keeps serving and following changes after its stdout and stderr are closed', async () => {
    const g = await launchGatehouse(manifests, [], { stdout: 'pipe' });
    running.push(g);
    await waitUntilHealthy(g);
    g.process.stdout!.destroy();
    g.process.stderr!.destroy();
    // Every change now makes it log (and NGINX write its access log) into closed pipes.
    await write('two.example.com');
    assert.equal(await eventuallyServed(g, 'two.example.com', '/', '200 web'), '200 web');
    await write('three.example.com');
    assert.equal(await eventuallyServed(g, 'three.example.com', '/', '200 web'), '200 web');
    assert.equal(g.process.exitCode, null, 'still running');
  });

  it('when killed outright, leaves nothing that stops the next controller from serving on the same ports', async () => {
    const first = await launchGatehouse(manifests);
    await waitUntilHealthy(first);
    assert.equal(await served('http', first.httpPort, 'three.example.com', '/'), '200 web');
    const orphan = Number((await readFile(path.join(first.confDir, 'run', 'nginx.pid'), 'utf8')).trim());
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    assert.ok(alive(orphan), 'NGINX outlived the killed controller (nothing could stop it)');

    const second = await launchGatehouse(manifests, [], { reuse: first });
    running.push(second);
    await waitUntilHealthy(second);
    assert.equal(await served('http', second.httpPort, 'three.example.com', '/'), '200 web');
    assert.match(
      second.logs(),
      /an NGINX left running by an earlier controller still holds this conf dir; stopping it/,
    );
    const deadline = Date.now() + 10_000;
    while (alive(orphan) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(orphan), false, 'the orphaned master is gone');
  });
});
