// Nothing is served before the first full load of the manifests folder: from the first moment NGINX
// answers, it answers with every object in the folder, never a partial or empty configuration.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { launchGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import { Backends, manifestsFolder, removeFolder, served } from '../support/integration.ts';

const FILES = 40;

describe('first load', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['site']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    // Many files: a loader that served as it went would be caught with some hosts missing.
    for (let i = 0; i < FILES; i++) {
      const objects: KubernetesObject[] = [
        ingress({
          name: `site-${i}`,
          rules: [{ host: `site-${i}.example.com`, paths: [{ service: 'site', port: 80 }] }],
        }),
      ];
      await writeManifest(manifests, `site-${String(i).padStart(2, '0')}.yaml`, objects);
    }
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('the first answer NGINX gives already comes from the complete folder', async () => {
    gatehouse = await launchGatehouse(manifests);
    const g = gatehouse;
    const last = `site-${FILES - 1}.example.com`;
    const first = `site-0.example.com`;
    const deadline = Date.now() + 20_000;
    // Poll from the moment the process starts; connection errors mean NGINX does not listen yet.
    let firstAnswer: string | undefined;
    while (firstAnswer === undefined) {
      assert.ok(Date.now() < deadline, `NGINX never served:\n${g.logs()}`);
      assert.equal(g.process.exitCode, null, `gatehouse exited:\n${g.logs()}`);
      firstAnswer = await served('http', g.httpPort, last, '/', { timeoutMs: 2000 }).catch(() => undefined);
      if (firstAnswer === undefined) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(
      firstAnswer,
      '200 site',
      'the host defined in the last file is served from the first answer',
    );
    assert.equal(await served('http', g.httpPort, first, '/'), '200 site');
    // One start, with every host in it, and no reload was needed to get there. NGINX answers before the
    // controller has finished verifying the start and logged it, so wait for the line.
    const logs = await eventually(
      () => Promise.resolve(g.logs()),
      (text) => /nginx started/.test(text),
    );
    const started = /nginx started .*"servers":(\d+)/.exec(logs);
    assert.equal(started?.[1], String(FILES));
    assert.doesNotMatch(g.logs(), /nginx reloaded/);
  });
});
