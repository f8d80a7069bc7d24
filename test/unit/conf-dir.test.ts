import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chown, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONF_DIR_MARKER, defaultConfDir, prepareConfDir } from '../../src/cli/conf-dir.ts';

describe('--conf-dir: Gatehouse writes and deletes files only where it should', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gh-confdir-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('defaults to a private place, never a fixed name in /tmp', () => {
    assert.equal(defaultConfDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/gatehouse');
    assert.equal(defaultConfDir({}, 0), '/run/gatehouse');
    assert.equal(defaultConfDir({}, 1000), path.join(tmpdir(), 'gatehouse-1000'));
  });

  it('creates a missing folder 0700, marked as its own', async () => {
    const dir = path.join(root, 'new', 'conf');
    assert.equal(await prepareConfDir(dir, { isDefault: true }), dir);
    assert.equal((await lstat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(dir), [CONF_DIR_MARKER]);
    // And takes it again next time.
    await mkdir(path.join(dir, 'certs'));
    assert.equal(await prepareConfDir(dir, { isDefault: true }), dir);
  });

  it('refuses a symbolic link in its place (a planted link to /etc)', async () => {
    const link = path.join(root, 'planted');
    await symlink('/etc', link);
    await assert.rejects(
      prepareConfDir(link, { isDefault: true }),
      /refusing --conf-dir .*: it is a symbolic link/,
    );
  });

  it('refuses a folder holding a symbolic link (certs -> /etc)', async () => {
    const dir = path.join(root, 'with-link');
    await prepareConfDir(dir, { isDefault: false });
    await symlink('/etc', path.join(dir, 'certs'));
    await assert.rejects(prepareConfDir(dir, { isDefault: false }), /holds a symbolic link \(certs\)/);
  });

  it('refuses a folder of someone else’s files (--conf-dir /etc), and leaves them alone', async () => {
    const dir = path.join(root, 'foreign');
    await mkdir(dir);
    await writeFile(path.join(dir, 'passwd'), 'root:x:0:0');
    await assert.rejects(
      prepareConfDir(dir, { isDefault: false }),
      /already holds files that Gatehouse did not write/,
    );
    assert.deepEqual(await readdir(dir), ['passwd']);
  });

  // The suite runs as root (see README), which may hand a folder to another user.
  it('refuses a folder another user owns (planted first)', async () => {
    const dir = path.join(root, 'someone-elses');
    await mkdir(dir, { mode: 0o777 });
    await chown(dir, 65534, 65534);
    await assert.rejects(prepareConfDir(dir, { isDefault: true }), /belongs to uid 65534, not to this user/);
    await assert.rejects(prepareConfDir(dir, { isDefault: false }), /belongs to uid 65534/);
  });
});
