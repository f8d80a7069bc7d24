// One bad file or object never takes others down: broken YAML, unknown kinds and hostile Ingresses (host,
// path, snippet annotation) are rejected alone, named in the log with the reason, and nothing hostile ever
// reaches the live nginx.conf.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, writeManifest } from '../support/fixtures.ts';
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

const BROKEN_YAML = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: broken
  namespace: default
spec:
  rules:
    - host: broken.example.com
      http: {paths: [
`;

const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 1 },
} as KubernetesObject;

describe('isolation of bad input', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const get = (host: string, urlPath = '/'): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, host, urlPath);
  };
  const simple = (name: string, host: string, service = 'good'): KubernetesObject =>
    ingress({ name, rules: [{ host, paths: [{ service, port: 80 }] }] });

  /**
   * Writes a file holding a bad Ingress and a harmless canary Ingress, and waits until the canary serves:
   * from then on NGINX runs the configuration made with the bad object in the folder.
   */
  const addWithCanary = async (file: string, bad: KubernetesObject): Promise<string> => {
    assert.ok(gatehouse);
    const canaryHost = `${path.basename(file, '.yaml')}.canary.test`;
    await writeManifest(manifests, file, [
      bad,
      simple(`canary-${path.basename(file, '.yaml')}`, canaryHost, 'canary'),
    ]);
    assert.equal(await eventuallyServed(gatehouse, canaryHost, '/', '200 canary'), '200 canary');
    return liveConfig(gatehouse);
  };

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['good', 'canary', 'evil']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'good.yaml', [simple('good', 'good.example.com')]);
    // Present from the start: the first load must not be blocked by them.
    await writeFile(path.join(manifests, 'broken.yaml'), BROKEN_YAML);
    await writeManifest(manifests, 'mixed-kinds.yaml', [
      DEPLOYMENT,
      simple('beside-deployment', 'beside.example.com'),
    ]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('a file with broken YAML is skipped and named in the log; the rest serves', async () => {
    assert.ok(gatehouse);
    const logs = await waitForLog(gatehouse, 'File/broken.yaml');
    assert.match(logs, /error: File\/broken\.yaml: not valid YAML/);
    assert.equal(await get('good.example.com'), '200 good');
    assert.equal(await get('broken.example.com'), '404');
  });

  it('an unknown kind is ignored with a warning; the other objects of its file serve', async () => {
    assert.ok(gatehouse);
    const logs = await waitForLog(gatehouse, 'kind Deployment');
    assert.match(
      logs,
      /warning: File\/mixed-kinds\.yaml: document\[0\]: kind Deployment is not used by Gatehouse/,
    );
    assert.equal(await get('beside.example.com'), '200 good');
  });

  it('an Ingress with a hostile host is rejected as a whole and never reaches nginx.conf', async () => {
    assert.ok(gatehouse);
    const hostile = ingress({
      name: 'hostile-host',
      rules: [
        { host: 'evil.com; include /etc/passwd', paths: [{ service: 'evil', port: 80 }] },
        { host: 'sibling.example.com', paths: [{ service: 'evil', port: 80 }] },
      ],
    });
    const conf = await addWithCanary('hostile-host.yaml', hostile);
    const logs = await waitForLog(gatehouse, 'Ingress default/hostile-host');
    assert.match(
      logs,
      /error: Ingress default\/hostile-host: spec\.rules\[0\]\.host: must be a lowercase DNS name/,
    );
    assert.doesNotMatch(logs, /include \/etc\/passwd/, 'the log does not echo the hostile value either');
    assert.ok(!conf.includes('evil.com'), 'nginx.conf has no trace of the hostile host');
    assert.ok(!conf.includes('/etc/passwd'));
    assert.ok(!conf.includes('sibling.example.com'), 'the rest of the rejected Ingress is not served either');
    assert.equal(await get('sibling.example.com'), '404');
    assert.equal(await get('good.example.com'), '200 good');
    assert.equal(backends?.get('evil').hits(), 0);
  });

  it('an Ingress with a hostile path is rejected and never reaches nginx.conf', async () => {
    assert.ok(gatehouse);
    const hostile = ingress({
      name: 'hostile-path',
      rules: [
        {
          host: 'paths.example.com',
          paths: [{ path: '/x { return 200 "pwned"; } location /y', service: 'evil', port: 80 }],
        },
      ],
    });
    const conf = await addWithCanary('hostile-path.yaml', hostile);
    const logs = await waitForLog(gatehouse, 'Ingress default/hostile-path');
    assert.match(
      logs,
      /error: Ingress default\/hostile-path: spec\.rules\[0\]\.http\.paths\[0\]\.path: must start with "\/"/,
    );
    assert.ok(!conf.includes('pwned'));
    assert.ok(!conf.includes('paths.example.com'));
    assert.equal(await get('paths.example.com', '/x'), '404');
    assert.equal(await get('good.example.com'), '200 good');
  });

  it('an Ingress with a snippet annotation is rejected, not served without its snippet', async () => {
    assert.ok(gatehouse);
    const hostile = ingress({
      name: 'snippet',
      annotations: {
        'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200 "pwned by snippet";',
      },
      rules: [{ host: 'snippet.example.com', paths: [{ service: 'evil', port: 80 }] }],
    });
    const conf = await addWithCanary('snippet.yaml', hostile);
    const logs = await waitForLog(gatehouse, 'Ingress default/snippet');
    assert.match(
      logs,
      /error: Ingress default\/snippet: metadata\.annotations\[nginx\.ingress\.kubernetes\.io\/configuration-snippet\]: snippet annotations are disabled/,
    );
    assert.ok(!conf.includes('pwned'));
    assert.ok(!conf.includes('snippet.example.com'));
    assert.equal(await get('snippet.example.com'), '404');
    assert.equal(await get('good.example.com'), '200 good');
  });

  it('fixing a rejected Ingress serves it', async () => {
    assert.ok(gatehouse);
    await writeManifest(manifests, 'snippet.yaml', [
      ingress({
        name: 'snippet',
        rules: [{ host: 'snippet.example.com', paths: [{ service: 'evil', port: 80 }] }],
      }),
    ]);
    assert.equal(await eventuallyServed(gatehouse, 'snippet.example.com', '/', '200 evil'), '200 evil');
  });
});
