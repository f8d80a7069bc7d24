// Files NGINX may be reading are replaced by rename, never rewritten in place: a reader that opened the
// old file reads the old bytes to the end, and a rollback puts the previous file back the same way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keepCopy, restoreCopy, writeFileAtomic } from '../../src/nginx/atomic-files.ts';

describe('atomic files', () => {
  it('a reader of the old file keeps reading the old bytes while the new file is swapped in', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-atomic-'));
    const file = path.join(dir, 'nginx.conf');
    const old = 'old '.repeat(10_000);
    await writeFile(file, old);
    const reader = await open(file, 'r');
    const before = (await stat(file)).ino;
    await writeFileAtomic(file, 'new', 0o600);
    assert.equal((await reader.readFile('utf8')).length, old.length, 'the open file was rewritten in place');
    await reader.close();
    assert.equal(await readFile(file, 'utf8'), 'new');
    assert.notEqual((await stat(file)).ino, before);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await rm(dir, { recursive: true });
  });

  it('keepCopy + restoreCopy put the previous file back by rename, bytes and inode unchanged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-atomic-'));
    const file = path.join(dir, 'nginx.conf');
    const keep = path.join(dir, 'nginx.conf.previous');
    assert.equal(await keepCopy(file, keep), false, 'nothing to keep yet');
    await writeFile(file, 'good');
    const good = (await stat(file)).ino;
    assert.equal(await keepCopy(file, keep), true);
    await writeFileAtomic(file, 'bad', 0o644);
    await restoreCopy(keep, file);
    assert.equal(await readFile(file, 'utf8'), 'good');
    assert.equal((await stat(file)).ino, good);
    await rm(dir, { recursive: true });
  });
});
