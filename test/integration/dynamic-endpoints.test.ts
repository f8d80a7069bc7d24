// Endpoints change without a reload (issue 9): the controller pushes them to NGINX's Lua balancer over the
// status socket. Scaling a Service 1 → 5 → 1 under steady load keeps NGINX's worker generation (no reload),
// fails no request, reaches every endpoint, and sends no new request to a removed endpoint once the change
// is a second old. A dead endpoint is retried on another; `gatehouse endpoints` shows what the workers use.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fetchBackends, socketRequest } from '../../src/nginx/dynamic-client.ts';
import { childPids } from '../../src/nginx/workers.ts';
import { ingress, serviceWithEndpoints, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually, request } from '../support/http-client.ts';
import { freePorts } from '../support/ports.ts';
import {
  Backends,
  countMatches,
  describeReply,
  manifestsFolder,
  removeFolder,
  runCli,
} from '../support/integration.ts';

const HOST = 'scale.example.com';
const PODS = ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5'];

async function workerGeneration(gatehouse: RunningGatehouse): Promise<string> {
  const master = Number((await readFile(path.join(gatehouse.confDir, 'run', 'nginx.pid'), 'utf8')).trim());
  return `${master}: ${(await childPids(master)).join(',')}`;
}

/** Requests in a few parallel loops until stopped; each answer with the time its request was sent. */
class SteadyLoad {
  readonly answers: { sentAt: number; answer: string }[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(port: number, urlPath: string, parallel = 4) {
    this.loops = Array.from({ length: parallel }, async () => {
      while (this.running) {
        const sentAt = Date.now();
        const answer = await request('http', port, HOST, urlPath, { timeoutMs: 5000 }).then(
          describeReply,
          (e: unknown) => `error ${(e as Error).message}`,
        );
        this.answers.push({ sentAt, answer });
      }
    });
  }

  seen(from: number): Set<string> {
    return new Set(this.answers.filter((a) => a.sentAt >= from).map((a) => a.answer));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

describe('endpoints change without a reload', () => {
  let dir = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;
  const endpointsOf = (...names: string[]) =>
    names.map((n) => ({ ip: backends!.get(n).host, port: backends!.get(n).port }));
  const writeService = (...names: string[]) =>
    writeManifest(dir, 'service.yaml', serviceWithEndpoints('scaled', endpointsOf(...names)));

  before(async () => {
    dir = await manifestsFolder();
    backends = new Backends();
    for (const [i, name] of PODS.entries()) await backends.add(name, `127.0.0.${i + 2}`);
    await writeManifest(dir, 'ingress.yaml', [
      ingress({
        name: 'scaled',
        rules: [
          {
            host: HOST,
            paths: [
              { path: '/', service: 'scaled', port: 80 },
              { path: '/retry', service: 'with-dead', port: 80 },
            ],
          },
        ],
      }),
    ]);
    await writeService('pod-1');
    gatehouse = await startGatehouse(dir);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(dir);
  });

  it('scale 1 → 5 → 1 under steady load: no reload, no failed request, every endpoint used', async () => {
    assert.ok(gatehouse && backends);
    const g = gatehouse;
    const generation = await workerGeneration(g);
    const reloadsBefore = countMatches(g.logs(), 'nginx reloaded');
    const load = new SteadyLoad(g.httpPort, '/');
    try {
      await eventually(
        () => Promise.resolve(load.answers.length),
        (n) => n >= 20,
      );
      const scaledUpAt = Date.now();
      await writeService(...PODS);
      const all = await eventually(
        () => Promise.resolve(load.seen(scaledUpAt)),
        (seen) => PODS.every((p) => seen.has(`200 ${p}`)),
      );
      assert.deepEqual([...all].sort(), PODS.map((p) => `200 ${p}`).sort());

      const scaledDownAt = Date.now();
      await writeService('pod-1');
      // Removed endpoints get no new request once the change is a second old (the folder watcher's settle
      // time and the debounce included), and the load goes on for a while after that.
      await new Promise((r) => setTimeout(r, 2500));
      const late = load.answers.filter((a) => a.sentAt > scaledDownAt + 1000 && a.answer !== '200 pod-1');
      assert.deepEqual(
        late,
        [],
        'requests sent a second after the scale-down still reached removed endpoints',
      );
    } finally {
      await load.stop();
    }
    const failed = load.answers.filter((a) => !a.answer.startsWith('200 '));
    assert.deepEqual(failed, [], `${failed.length} of ${load.answers.length} requests failed`);
    assert.ok(load.answers.length > 100, `only ${load.answers.length} requests`);
    assert.equal(await workerGeneration(g), generation, 'NGINX started new workers: it reloaded');
    assert.equal(countMatches(g.logs(), 'nginx reloaded'), reloadsBefore);
    assert.ok(countMatches(g.logs(), 'nginx endpoints updated without a reload') >= 2);
  });

  it('a request to a dead endpoint is retried on one it has not tried', async () => {
    assert.ok(gatehouse && backends);
    const [dead1 = 0, dead2 = 0] = await freePorts(2); // nothing listens there
    await writeManifest(dir, 'with-dead.yaml', [
      ...serviceWithEndpoints('with-dead', [
        ...endpointsOf('pod-2'),
        { ip: '127.0.0.1', port: dead1 },
        { ip: '127.0.0.1', port: dead2 },
      ]),
    ]);
    const g = gatehouse;
    // The new Service makes a reload: until the old workers have closed their sockets, one of them may
    // still take a request and answer 503 from the config without the Service. Wait for five in a row.
    await eventually(
      async () => {
        const answers: string[] = [];
        for (let i = 0; i < 5; i++)
          answers.push(describeReply(await request('http', g.httpPort, HOST, '/retry')));
        return answers;
      },
      (a) => a.every((x) => x === '200 pod-2'),
    );
    // Three tries for three endpoints: each retry must skip the ones this request tried, even while
    // concurrent requests move the turn on.
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => request('http', g.httpPort, HOST, '/retry').then(describeReply)),
    );
    assert.deepEqual(new Set(answers), new Set(['200 pod-2']));
  });

  it('gatehouse endpoints lists each backend with the endpoints NGINX uses', async () => {
    assert.ok(gatehouse && backends);
    const pod1 = `${backends.get('pod-1').host}:${backends.get('pod-1').port}`;
    const text = await runCli(['endpoints', '--conf-dir', gatehouse.confDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^default_scaled_80\\s+${pod1.replaceAll('.', '\\.')}$`, 'm'));
    const json = await runCli(['endpoints', '--conf-dir', gatehouse.confDir, '--output', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { backends: Record<string, string[]> };
    assert.deepEqual(parsed.backends['default_scaled_80'], [pod1]);
    // One backend alone (what a probe of one backend asks, without NGINX listing all of them).
    const socket = path.join(gatehouse.confDir, 'run', 'status.sock');
    const one = await fetchBackends(socket, 'default_scaled_80');
    assert.deepEqual(one.backends, { default_scaled_80: [pod1] });
    assert.equal(one.id, (await fetchBackends(socket)).id);
    assert.deepEqual((await fetchBackends(socket, 'default_nothing_80')).backends, {});
    await assert.rejects(fetchBackends(socket, 'a b'), /answered 400/);
  });

  it('a restarted NGINX serves the endpoints at once: no 503 while it comes back', async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    const master = Number((await readFile(path.join(g.confDir, 'run', 'nginx.pid'), 'utf8')).trim());
    const load = new SteadyLoad(g.httpPort, '/', 2);
    try {
      process.kill(master, 'SIGKILL');
      await eventually(
        async () => Number((await readFile(path.join(g.confDir, 'run', 'nginx.pid'), 'utf8')).trim()),
        (pid) => pid !== master,
      );
      const since = Date.now();
      await eventually(
        () => Promise.resolve(load.seen(since)),
        (seen) => seen.has('200 pod-1'),
      );
    } finally {
      await load.stop();
    }
    const answers = new Set(load.answers.map((a) => a.answer.replace(/^error .*/, 'connection error')));
    assert.ok(!answers.has('503') && !answers.has('502'), `answers: ${[...answers].join(', ')}`);
  });

  it('an NGINX holding another state than the one pushed last gets the whole state with the next change', async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    const socket = path.join(g.confDir, 'run', 'status.sock');
    const reloadsBefore = countMatches(g.logs(), 'nginx reloaded');
    const { default_scaled_80: scaled, ...others } = (await fetchBackends(socket)).backends;
    assert.ok(scaled !== undefined);
    // Whatever the cause (a state lost, another writer), NGINX no longer holds what the controller pushed.
    const replaced = await socketRequest(socket, 'POST', '/gatehouse/state', '{"id":"foreign","set":{}}');
    assert.equal(replaced.status, 200, replaced.body);
    assert.equal(describeReply(await request('http', g.httpPort, HOST, '/')), '503');
    // The next change is sent as a difference, refused (409), and then sent whole: the backends it did not
    // touch come back too.
    await writeService('pod-3');
    await eventually(
      () => request('http', g.httpPort, HOST, '/').then(describeReply),
      (a) => a === '200 pod-3',
    );
    const { default_scaled_80: now, ...othersNow } = (await fetchBackends(socket)).backends;
    assert.deepEqual(
      now,
      endpointsOf('pod-3').map((e) => `${e.ip}:${e.port}`),
    );
    assert.deepEqual(othersNow, others);
    assert.equal(countMatches(g.logs(), 'nginx reloaded'), reloadsBefore);
  });
});
