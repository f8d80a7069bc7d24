// The NGINX process under Gatehouse: /healthz while serving, a killed master is restarted (and obeys later
// changes), and SIGTERM shuts down gracefully: in-flight requests finish, NGINX is gone, exit code 0.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually, request } from '../support/http-client.ts';
import {
  Backends,
  describeReply,
  eventuallyServed,
  manifestsFolder,
  removeFolder,
  served,
} from '../support/integration.ts';

const HOST = 'life.example.com';

async function nginxMasterPid(gatehouse: RunningGatehouse): Promise<number> {
  const text = await readFile(path.join(gatehouse.confDir, 'run', 'nginx.pid'), 'utf8');
  const pid = Number(text.trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `bad pid file: ${JSON.stringify(text)}`);
  return pid;
}

/** True when no such process runs (a zombie left to a non-reaping init counts as gone). */
async function processGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || / Z /.test(stat);
}

describe('process lifecycle', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const app = (service: string): ReturnType<typeof ingress> =>
    ingress({ name: 'life', rules: [{ host: HOST, paths: [{ service, port: 80 }] }] });

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['before-crash', 'after-crash']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'life.yaml', [app('before-crash')]);
    gatehouse = await startGatehouse(manifests);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('/healthz answers 200 while NGINX serves', async () => {
    assert.ok(gatehouse);
    const res = await fetch(`http://127.0.0.1:${gatehouse.healthzPort}/healthz`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^ok/);
    assert.equal(await served('http', gatehouse.httpPort, HOST, '/'), '200 before-crash');
  });

  it('kill -9 of the NGINX master: the controller restarts it and keeps control', async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    const oldPid = await nginxMasterPid(g);
    process.kill(oldPid, 'SIGKILL');
    const newPid = await eventually(
      () => nginxMasterPid(g),
      (pid) => pid !== oldPid,
    );
    assert.notEqual(newPid, oldPid, `NGINX was not restarted:\n${g.logs().slice(-3000)}`);
    assert.equal(await eventuallyServed(g, HOST, '/', '200 before-crash'), '200 before-crash');
    const health = await eventually(
      () => fetch(`http://127.0.0.1:${g.healthzPort}/healthz`).then((r) => r.status),
      (s) => s === 200,
    );
    assert.equal(health, 200);
    // The restarted NGINX is the one in charge: a change after the crash reaches clients (workers left
    // behind by the killed master would go on serving the old configuration).
    await writeManifest(manifests, 'life.yaml', [app('after-crash')]);
    assert.equal(await eventuallyServed(g, HOST, '/', '200 after-crash'), '200 after-crash');
    for (let i = 0; i < 10; i++) {
      assert.equal(await served('http', g.httpPort, HOST, '/'), '200 after-crash');
    }
    assert.match(g.logs(), /nginx exited unexpectedly/);
  });

  it('SIGTERM: an in-flight request completes, NGINX stops, Gatehouse exits 0', async () => {
    assert.ok(gatehouse && backends);
    const g = gatehouse;
    const pod = backends.get('after-crash');
    const masterPid = await nginxMasterPid(g);
    const exited = new Promise<number | null>((resolve) => g.process.once('exit', (code) => resolve(code)));
    const hitsBefore = pod.hits();
    const slow = request('http', g.httpPort, HOST, '/slow?delay=1500', { timeoutMs: 15_000 });
    // Only once the pod is working on it: the request is truly in flight.
    await eventually(
      () => Promise.resolve(pod.hits()),
      (n) => n > hitsBefore,
    );
    const signalledAt = Date.now();
    g.process.kill('SIGTERM');
    const reply = await slow;
    assert.equal(describeReply(reply), '200 after-crash', 'the in-flight request was answered in full');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - signalledAt < 12_000, 'shutdown took too long');
    assert.ok(await processGone(masterPid), `NGINX master ${masterPid} still runs`);
    await assert.rejects(
      request('http', g.httpPort, HOST, '/', { timeoutMs: 2000 }),
      'nothing listens any more',
    );
    // 'exit' can come before the last of stderr is read.
    const logs = await eventually(
      () => Promise.resolve(g.logs()),
      (text) => /stopped/.test(text),
    );
    assert.match(logs, /stopped/);
  });
});
