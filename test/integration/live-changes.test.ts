// Editing, adding and deleting manifest files while Gatehouse runs: traffic follows (how fast is measured in
// bench/, not asserted here), and requests in flight during the reloads never fail.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fetchBackends } from '../../src/nginx/dynamic-client.ts';
import { ingress, writeManifest } from '../support/fixtures.ts';
import { startGatehouse, type RunningGatehouse } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import {
  Backends,
  countMatches,
  eventuallyServed,
  manifestsFolder,
  removeFolder,
  served,
} from '../support/integration.ts';

/** How long a change may take to reach traffic before the test gives up (not a speed target). */
const FOLLOW_MS = 15_000;

describe('live changes to the manifests folder', () => {
  let manifests = '';
  let backends: Backends | undefined;
  let gatehouse: RunningGatehouse | undefined;

  const get = (host: string, urlPath = '/'): Promise<string> => {
    assert.ok(gatehouse);
    return served('http', gatehouse.httpPort, host, urlPath);
  };

  /** Runs `change`, then waits until `host` answers `expected` and the reload that brought it is done. */
  const follows = async (change: () => Promise<unknown>, host: string, expected: string): Promise<void> => {
    assert.ok(gatehouse);
    await change();
    assert.equal(await eventuallyServed(gatehouse, host, '/', expected, FOLLOW_MS), expected);
  };

  /** Waits until `host` answers `expected` (after a change already made). */
  const servedAs = async (host: string, expected: string): Promise<void> => {
    assert.ok(gatehouse);
    assert.equal(await eventuallyServed(gatehouse, host, '/', expected, FOLLOW_MS), expected);
  };

  const app = (host: string, service: string, name = 'app'): ReturnType<typeof ingress> =>
    ingress({ name, rules: [{ host, paths: [{ service, port: 80 }] }] });

  before(async () => {
    manifests = await manifestsFolder();
    backends = await Backends.start(['v1', 'v2', 'extra', 'blue', 'green', 'noise', 'before', 'after']);
    await writeManifest(manifests, 'services.yaml', backends.services());
    await writeManifest(manifests, 'app.yaml', [app('app.example.com', 'v1')]);
    await writeManifest(manifests, 'steady.yaml', [app('steady.example.com', 'blue', 'steady')]);
    // The auth service of one test listens on loopback, which an auth-url may lead to only when allowed.
    gatehouse = await startGatehouse(manifests, ['--external-name-allowed-cidrs', '127.0.0.1/32']);
  });

  after(async () => {
    await gatehouse?.stop();
    await backends?.close();
    await removeFolder(manifests);
  });

  it('editing a manifest moves traffic to the new backend', async () => {
    assert.equal(await get('app.example.com'), '200 v1');
    await follows(
      () => writeManifest(manifests, 'app.yaml', [app('app.example.com', 'v2')]),
      'app.example.com',
      '200 v2',
    );
  });

  it('adding a file serves its new host', async () => {
    assert.equal(await get('extra.example.com'), '404');
    await follows(
      () => writeManifest(manifests, 'extra.yaml', [app('extra.example.com', 'extra', 'extra')]),
      'extra.example.com',
      '200 extra',
    );
  });

  it('deleting a file takes its host away (404)', async () => {
    assert.equal(await get('extra.example.com'), '200 extra');
    await follows(() => rm(path.join(manifests, 'extra.yaml')), 'extra.example.com', '404');
    assert.equal(await get('app.example.com'), '200 v2', 'other hosts are untouched');
  });

  // Only the files that changed are read again: what other files hold must stay as it was.
  it('an Ingress moved from one file to another stays served, and its old file may vanish', async () => {
    await writeManifest(manifests, 'moving-a.yaml', [app('moving.example.com', 'v1', 'moving')]);
    assert.equal(
      await eventuallyServed(gatehouse!, 'moving.example.com', '/', '200 v1', FOLLOW_MS),
      '200 v1',
    );
    // Written to its new file first: for a moment both files define it (the first file in name order wins).
    await writeManifest(manifests, 'moving-b.yaml', [app('moving.example.com', 'v2', 'moving')]);
    await rm(path.join(manifests, 'moving-a.yaml'));
    await servedAs('moving.example.com', '200 v2');
    await rm(path.join(manifests, 'moving-b.yaml'));
    await servedAs('moving.example.com', '404');
  });

  it('a folder moved in serves the hosts of its files; removed, takes them away', async () => {
    const outside = await manifestsFolder();
    try {
      await writeManifest(outside, 'one.yaml', [app('team-one.example.com', 'v1', 'team-one')]);
      await writeManifest(outside, path.join('nested', 'two.yaml'), [
        app('team-two.example.com', 'v2', 'team-two'),
      ]);
      await rename(outside, path.join(manifests, 'team'));
      await servedAs('team-one.example.com', '200 v1');
      await servedAs('team-two.example.com', '200 v2');
      await rm(path.join(manifests, 'team'), { recursive: true });
      await servedAs('team-one.example.com', '404');
      await servedAs('team-two.example.com', '404');
      assert.equal(await get('app.example.com'), '200 v2', 'other hosts are untouched');
    } finally {
      await removeFolder(outside);
    }
  });

  it('a request an old worker still holds after a reload reaches the backend its config named', async () => {
    assert.ok(gatehouse && backends);
    const g = gatehouse;
    const authPort = backends.get('v1').port;
    // An auth service that takes its time: NGINX picks the app's endpoint only once auth has answered, so
    // a request that arrived before the reload is still the old worker's, and picks one after it.
    const held = (service: string) =>
      ingress({
        name: 'held',
        annotations: {
          'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.1:${authPort}/auth?delay=1500`,
        },
        rules: [{ host: 'held.example.com', paths: [{ service, port: 80 }] }],
      });
    await follows(
      () => writeManifest(manifests, 'held.yaml', [held('before')]),
      'held.example.com',
      '200 before',
    );
    const reloadsBefore = countMatches(g.logs(), 'nginx reloaded');
    const inFlight = get('held.example.com', '/in-flight');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await writeManifest(manifests, 'held.yaml', [held('after')]);
    await eventually(
      () => Promise.resolve(countMatches(g.logs(), 'nginx reloaded') - reloadsBefore),
      (n) => n >= 1,
      FOLLOW_MS,
    );
    assert.equal(await inFlight, '200 before', 'the request in flight is served as its worker’s config says');
    assert.equal(await get('held.example.com'), '200 after', 'a new request sees the new backend');
    // Once the old worker has exited, NGINX no longer keeps the backend only its config used.
    const socket = path.join(g.confDir, 'run', 'status.sock');
    const kept = () =>
      fetchBackends(socket, 'default_before_80').then((state) => Object.keys(state.backends));
    assert.deepEqual(await eventually(kept, (names) => names.length === 0, FOLLOW_MS), []);
  });

  it('no request fails while a series of edits reloads NGINX', async () => {
    assert.ok(gatehouse);
    const g = gatehouse;
    const answers = new Map<string, number>();
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) {
        let answer: string;
        try {
          answer = await get('steady.example.com', '/during-reload');
        } catch (error) {
          answer = `error ${(error as Error).message}`;
        }
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      }
    };
    const reloadsBefore = countMatches(g.logs(), 'nginx reloaded');
    const loops = [loop(), loop(), loop()];
    try {
      for (let i = 0; i < 6; i++) {
        const colour = i % 2 === 0 ? 'green' : 'blue';
        await writeManifest(manifests, 'steady.yaml', [app('steady.example.com', colour, 'steady')]);
        // An unrelated host changes too, so each edit reloads NGINX with more than one difference.
        await writeManifest(manifests, 'noise.yaml', [app(`noise-${i}.example.com`, 'noise', 'noise')]);
        assert.equal(
          await eventually(
            () => get('steady.example.com'),
            (v) => v === `200 ${colour}`,
            FOLLOW_MS,
          ),
          `200 ${colour}`,
        );
        assert.equal(
          await eventually(
            () => get(`noise-${i}.example.com`),
            (v) => v === '200 noise',
          ),
          '200 noise',
        );
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    // Each reload is logged just after NGINX confirmed it, so the last line may trail the traffic a little.
    const reloads = await eventually(
      () => Promise.resolve(countMatches(g.logs(), 'nginx reloaded') - reloadsBefore),
      (n) => n >= 6,
    );
    const total = [...answers.values()].reduce((a, b) => a + b, 0);
    assert.ok(reloads >= 6, `expected at least 6 reloads during the loop, saw ${reloads}`);
    assert.ok(total >= 100, `only ${total} requests ran during the reloads`);
    const failures = [...answers].filter(([answer]) => answer !== '200 blue' && answer !== '200 green');
    assert.deepEqual(failures, [], `every answer: ${JSON.stringify([...answers])}`);
  });
});
