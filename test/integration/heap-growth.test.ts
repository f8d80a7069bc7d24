// GATEHOUSE_HEAP_GROWING_PERCENT in `serve`: the start's whole build runs with V8's own heap growth (a tight
// one slowed a 10,000-Ingress start by two thirds), and the setting takes effect once NGINX serves the first
// config, which the log says.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { launchGatehouse, waitUntilHealthy, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { Backends, manifestsFolder, removeFolder } from '../support/integration.ts';

describe('heap growth in serve', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['site']);
    await writeManifest(manifests, 'site.yaml', [
      ...backends.services(),
      ingress({
        name: 'site',
        rules: [{ host: 'site.example.com', paths: [{ service: 'site', port: 80 }] }],
      }),
    ]);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('is set once NGINX serves the first config, not before', async () => {
    const saved = process.env['GATEHOUSE_HEAP_GROWING_PERCENT'];
    process.env['GATEHOUSE_HEAP_GROWING_PERCENT'] = '20';
    try {
      gatehouse = await launchGatehouse(manifests);
    } finally {
      if (saved === undefined) delete process.env['GATEHOUSE_HEAP_GROWING_PERCENT'];
      else process.env['GATEHOUSE_HEAP_GROWING_PERCENT'] = saved;
    }
    await waitUntilHealthy(gatehouse);
    const logs = gatehouse.logs();
    const started = logs.indexOf('nginx started');
    const set = logs.search(/the heap may now grow this far past what is live.*"percent":20/);
    assert.ok(started >= 0, `NGINX started:\n${logs}`);
    assert.ok(
      set > started,
      `the heap growth set after NGINX started (at ${set}, started at ${started}):\n${logs}`,
    );
    assert.equal(logs.indexOf('the heap may now grow', set + 1), -1, 'set once');
  });
});
