// The folder source: a manifest rewritten in place (truncated, then written) never loses its objects on the
// way, while a file emptied for good does lose them, once the grace is over.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import winston from 'winston';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { ManifestFolderSource } from '../../src/sources/files/watch-folder.ts';
import { ingress, writeManifest } from '../support/fixtures.ts';

const web = (host: string) =>
  ingress({ name: 'web', rules: [{ host, paths: [{ service: 'web', port: 80 }] }] });
const hosts = (s: Snapshot): string[] =>
  s.ingresses.flatMap((i) => (i.spec?.rules ?? []).map((r) => r.host ?? ''));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ManifestFolderSource', () => {
  let dir = '';
  let source: ManifestFolderSource | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gh-watch-'));
  });
  afterEach(async () => {
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts a source on `dir`; resolves `until(predicate)` with the first snapshot that satisfies it. */
  async function start(graceMs: number) {
    const seen: Snapshot[] = [];
    const waiters: { test: (s: Snapshot) => boolean; resolve: (s: Snapshot) => void }[] = [];
    source = new ManifestFolderSource(
      dir,
      winston.createLogger({ silent: true }),
      (s) => {
        seen.push(s);
        for (const w of waiters.filter((x) => x.test(s))) w.resolve(s);
      },
      { emptiedFileGraceMs: graceMs },
    );
    await source.start();
    const until = (test: (s: Snapshot) => boolean): Promise<Snapshot> =>
      new Promise((resolve) => waiters.push({ test, resolve }));
    return { seen, until };
  }

  it('keeps the objects of a file rewritten in place while it reads empty', async () => {
    await writeManifest(dir, 'web.yaml', [web('a.example.com')]);
    const { seen, until } = await start(60_000);
    const rewritten = until((s) => hosts(s).includes('b.example.com'));
    // What writeFile does on a loaded machine: the file is empty for a while before its new content.
    await writeFile(path.join(dir, 'web.yaml'), '');
    await sleep(300);
    await writeManifest(dir, 'web.yaml', [web('b.example.com')]);
    await rewritten;
    assert.deepEqual(
      seen.map(hosts),
      [['a.example.com'], ['b.example.com']],
      'a snapshot without the Ingress came in between',
    );
  });

  it('takes a file emptied for good once the grace is over', async () => {
    await writeManifest(dir, 'web.yaml', [web('a.example.com')]);
    const { seen, until } = await start(200);
    await writeFile(path.join(dir, 'web.yaml'), '');
    await until((s) => s.ingresses.length === 0);
    assert.deepEqual(seen.map(hosts), [['a.example.com'], []]);
  });
});
