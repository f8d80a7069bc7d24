// Reloads are not free: a burst of writes gives far fewer reloads than writes, and rewriting a file with the
// same content gives none at all.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, waitUntilCurrent, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import {
  Backends,
  countMatches,
  eventuallyServed,
  manifestsFolder,
  removeFolder,
  served,
} from '../support/integration.ts';

const WRITES = 20;

describe('reload coalescing', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  const burstIngress = (i: number): ReturnType<typeof ingress> =>
    ingress({
      name: 'burst',
      rules: [{ host: 'burst.example.com', paths: [{ path: `/v${i}`, service: 'burst', port: 80 }] }],
    });

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['burst', 'same']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'burst.yaml', [burstIngress(0)]);
    await writeManifest(manifests, 'same.yaml', [
      ingress({
        name: 'same',
        rules: [{ host: 'same.example.com', paths: [{ service: 'same', port: 80 }] }],
      }),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it(`a burst of ${WRITES} quick writes gives far fewer reloads, ending on the last write`, async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    assert.equal(await served('http', g.httpPort, 'burst.example.com', '/v0'), '200 burst');
    const reloadsBefore = countMatches(g.logs(), 'nginx reloaded');
    for (let i = 1; i <= WRITES; i++) {
      await writeManifest(manifests, 'burst.yaml', [burstIngress(i)]);
      await sleep(10); // quick, but separate writes: an editor saving repeatedly, a script applying files
    }
    assert.equal(await eventuallyServed(g, 'burst.example.com', `/v${WRITES}`, '200 burst'), '200 burst');
    assert.equal(await served('http', g.httpPort, 'burst.example.com', '/v1'), '404');
    // The controller logs the reload just after NGINX confirmed it; give the line a moment to appear.
    const reloads = await eventually(
      () => Promise.resolve(countMatches(g.logs(), 'nginx reloaded') - reloadsBefore),
      (n) => n >= 1,
    );
    assert.ok(reloads >= 1, 'the last write was applied by a reload');
    assert.ok(reloads <= WRITES / 4, `${WRITES} writes caused ${reloads} reloads`);
  });

  it('rewriting a file with unchanged content does not reload NGINX', async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    const file = path.join(manifests, 'same.yaml');
    const changeEvent = /manifest folder changed.*"file":"same\.yaml"/;
    // The previous test's last reload may still be being verified: start from a quiet controller.
    await waitUntilCurrent(g);
    const eventsBefore = countMatches(g.logs(), changeEvent);
    await writeFile(file, await readFile(file, 'utf8'));
    // The watcher saw the write, and the reconcile that followed found nothing to do.
    const logs = await eventually(
      () => Promise.resolve(g.logs()),
      (text) => {
        const events = [...text.matchAll(new RegExp(changeEvent.source, 'g'))];
        const last = events[eventsBefore];
        return last !== undefined && text.slice(last.index).includes('configuration unchanged');
      },
    );
    const event = [...logs.matchAll(new RegExp(changeEvent.source, 'g'))][eventsBefore];
    assert.ok(event, `the watcher never reported the rewrite; log tail:\n${logs.slice(-3000)}`);
    const after = logs.slice(event.index);
    assert.match(after, /configuration unchanged/);
    assert.doesNotMatch(after, /nginx reloaded/);
    assert.equal(await served('http', g.httpPort, 'same.example.com', '/'), '200 same');
  });
});
