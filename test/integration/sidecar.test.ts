// The sidecar pod, as processes: NGINX runs in the `nginx` container (bin/gatehouse-nginx), started on a
// bootstrap config; the controller (`serve --nginx-mode sidecar`) finds it through the pid file in the conf
// dir they share, reloads it onto its config and never stops it. Killing the controller drops no request and
// its successor adopts NGINX without a reload; a restarted nginx container is brought back to the last
// config; a reload NGINX refuses is seen although NGINX's log is not the controller's. The chart's real pod
// runs in test/image/pod.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrafficLoop } from '../support/cluster-traffic.ts';
import { configMap, ingress, writeManifest } from '../support/fixtures.ts';
import { waitUntilHealthy, type LaunchedGatehouse } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import { Backends, manifestsFolder, removeFolder, served, waitForLog } from '../support/integration.ts';
import { startSidecarPod, type SidecarPod } from '../support/sidecar-pod.ts';
import { childPids } from '../../src/nginx/workers.ts';

const HOST = 'sidecar.example.com';
const app = (service: string): ReturnType<typeof ingress> =>
  ingress({ name: 'app', rules: [{ host: HOST, paths: [{ service, port: 80 }] }] });

async function status(port: number): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/healthz`).then(
    (r) => r.status,
    () => 0,
  );
}

describe(
  'the sidecar pod: NGINX in its own container, driven by the controller',
  { timeout: 180_000 },
  () => {
    let manifests = '';
    let backends: Backends;
    let pod: SidecarPod;
    let controller: LaunchedGatehouse;

    before(async () => {
      manifests = await manifestsFolder();
      backends = await Backends.start(['first', 'second']);
      await writeManifest(manifests, 'services.yaml', backends.services());
      await writeManifest(manifests, 'app.yaml', [app('first')]);
      pod = await startSidecarPod(manifests);
    });
    after(async () => {
      await pod.stop();
      await backends.close();
      await removeFolder(manifests);
    });

    const servedNow = (): Promise<string> =>
      served('http', pod.httpPort, HOST, '/').catch((e: unknown) => (e as Error).message);

    it('the nginx container starts on a bootstrap config: it answers its health checks and serves no traffic', async () => {
      await pod.nginx.start();
      assert.equal(await status(pod.nginxHealthzPort), 200);
      assert.match(await servedNow(), /ECONNREFUSED/);
      assert.match(await readFile(path.join(pod.confDir, 'nginx.conf'), 'utf8'), /^# checksum bootstrap$/m);
      assert.match(pod.nginx.logs(), /starting NGINX on the bootstrap configuration/);
    });

    it('the controller reloads that NGINX onto its config; NGINX stays the nginx container’s process', async () => {
      controller = await pod.controller();
      await waitUntilHealthy(controller);
      assert.equal(await servedNow(), '200 first');
      const master = Number((await readFile(path.join(pod.confDir, 'run', 'nginx.pid'), 'utf8')).trim());
      assert.equal(master, pod.nginx.pid, 'the master is the nginx container’s main process');
      assert.deepEqual(
        await childPids(controller.process.pid ?? 0),
        [],
        'the controller has no NGINX of its own',
      );
      assert.match(controller.logs(), /nginx reloaded/);
      assert.equal(await status(pod.nginxHealthzPort), 200, 'the real config answers the same health checks');
    });

    it('kill -9 of the controller drops no request; its successor adopts NGINX without a reload', async () => {
      const workers = await childPids(pod.nginx.pid ?? 0);
      const traffic = new TrafficLoop(pod.httpPort, HOST, '200 first');
      await eventually(
        () => Promise.resolve(traffic.count),
        (n) => n >= 10,
      );
      const killed = new Promise((resolve) => controller.process.once('exit', resolve));
      controller.process.kill('SIGKILL');
      await killed;
      const during = traffic.count;
      await eventually(
        () => Promise.resolve(traffic.count),
        (n) => n >= during + 20,
      );
      controller = await pod.controller();
      await waitUntilHealthy(controller);
      await waitForLog(controller, /nginx adopted/);
      const report = await traffic.stop();
      assert.deepEqual(report.failures, [], `${report.total} requests`);
      assert.ok(report.total > during, 'requests were answered while no controller ran');
      assert.deepEqual(await childPids(pod.nginx.pid ?? 0), workers, 'the same workers: no reload');
      assert.doesNotMatch(controller.logs(), /nginx reloaded/);
    });

    it('the adopted NGINX follows changes', async () => {
      await writeManifest(manifests, 'app.yaml', [app('second')]);
      await waitForLog(controller, /nginx reloaded/);
      assert.equal(await servedNow(), '200 second');
    });

    it('a restarted nginx container starts on the last config, and the controller confirms it', async () => {
      const old = pod.nginx.pid;
      await pod.nginx.kill();
      await waitForLog(controller, /the nginx container’s NGINX exited/);
      await pod.nginx.start();
      assert.notEqual(pod.nginx.pid, old);
      assert.equal(await servedNow(), '200 second', 'served at once, before the controller acts');
      assert.match(pod.nginx.logs(), /starting NGINX on the configuration the controller applied last/);
      await waitForLog(controller, /found the nginx container’s NGINX/);
      assert.equal(
        await eventually(
          () => status(controller.healthzPort),
          (s) => s === 200,
        ),
        200,
      );
      await writeManifest(manifests, 'app.yaml', [app('first')]);
      assert.equal(await eventually(servedNow, (s) => s === '200 first'), '200 first');
    });

    it('a restarted nginx container that had to fall back on its bootstrap config is re-applied', async () => {
      // While the controller is held (SIGSTOP), the nginx container restarts on a config NGINX no longer
      // loads, so it starts on its bootstrap config; once the controller runs again it brings NGINX back.
      controller.process.kill('SIGSTOP');
      try {
        await pod.nginx.kill();
        const conf = path.join(pod.confDir, 'nginx.conf');
        await writeFile(conf, `${await readFile(conf, 'utf8')}\nno_such_directive on;\n`);
        await pod.nginx.start();
        assert.match(pod.nginx.logs(), /no longer passes nginx -t; starting on the bootstrap configuration/);
        assert.match(await servedNow(), /ECONNREFUSED/);
      } finally {
        controller.process.kill('SIGCONT');
      }
      assert.equal(await eventually(servedNow, (s) => s === '200 first'), '200 first');
      assert.equal(
        await eventually(
          () => status(controller.healthzPort),
          (s) => s === 200,
        ),
        200,
      );
      const conf = await readFile(path.join(pod.confDir, 'nginx.conf'), 'utf8');
      assert.doesNotMatch(conf, /bootstrap|no_such_directive/);
    });

    it('SIGTERM stops the controller alone: NGINX keeps serving', async () => {
      assert.equal(await controller.stop(), 0);
      assert.equal(await servedNow(), '200 first');
      assert.equal(await status(pod.nginxHealthzPort), 200);
    });
  },
);

describe('the sidecar pod: the controller starts first', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('the nginx container then starts on the controller’s config, never writing its bootstrap over it', async () => {
    const manifests = await manifestsFolder();
    const backends = await Backends.start(['web']);
    cleanup.push(
      () => removeFolder(manifests),
      () => backends.close(),
    );
    await writeManifest(manifests, 'app.yaml', [...backends.services(), app('web')]);
    const pod = await startSidecarPod(manifests);
    cleanup.push(() => pod.stop());
    const controller = await pod.controller();
    await waitForLog(controller, /waiting for the nginx container’s NGINX to answer/);
    await pod.nginx.start();
    await waitUntilHealthy(controller);
    assert.match(pod.nginx.logs(), /starting NGINX on the configuration the controller applied last/);
    assert.doesNotMatch(pod.nginx.logs(), /bootstrap configuration/);
    await waitForLog(controller, /nginx adopted/);
    assert.equal(await served('http', pod.httpPort, HOST, '/'), '200 web');
  });
});

describe('the sidecar pod: a reload NGINX refuses', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('is seen from /proc (NGINX’s log is the nginx container’s): the last config keeps serving', async () => {
    // The controller's `nginx -t` says yes to anything, so a config the real NGINX refuses reaches the
    // reload: header buffers smaller than NGINX's connection pool fail only when NGINX loads them.
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-nginx-yes-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const binary = path.join(dir, 'nginx');
    await writeFile(binary, `#!/bin/sh\ncase " $* " in *" -t "*) exit 0 ;; esac\nexec nginx "$@"\n`);
    await chmod(binary, 0o755);
    const manifests = await manifestsFolder();
    const backends = await Backends.start(['web']);
    cleanup.push(
      () => removeFolder(manifests),
      () => backends.close(),
    );
    const settings = (buffers: string) =>
      configMap({ 'large-client-header-buffers': buffers }, 'gatehouse', 'settings');
    await writeManifest(manifests, 'app.yaml', [...backends.services(), app('web')]);
    await writeManifest(manifests, 'settings.yaml', [settings('4 8k')]);
    const pod = await startSidecarPod(manifests);
    cleanup.push(() => pod.stop());
    await pod.nginx.start();
    const controller = await pod.controller(['--nginx-binary', binary, '--configmap', 'gatehouse/settings']);
    await waitUntilHealthy(controller);
    const workers = await childPids(pod.nginx.pid ?? 0);

    const changed = Date.now();
    await writeManifest(manifests, 'settings.yaml', [settings('4 100')]);
    await waitForLog(
      controller,
      /NGINX refused the configuration .*the reload was refused; see the nginx container’s log/,
    );
    const seconds = (Date.now() - changed) / 1000;
    assert.ok(seconds < 10, `seen after ${seconds} s, not after the 30 s stall timeout`);
    assert.match(pod.nginx.logs(), /\[emerg\].*large_client_header_buffers/);
    assert.equal(await served('http', pod.httpPort, HOST, '/'), '200 web');
    assert.deepEqual(await childPids(pod.nginx.pid ?? 0), workers, 'the old workers still serve');
    assert.doesNotMatch(
      await readFile(path.join(pod.confDir, 'nginx.conf'), 'utf8'),
      /large_client_header_buffers 4 100;/,
    );
  });
});
