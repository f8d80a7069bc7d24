import { lstat, mkdir, readdir, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A file Gatehouse leaves in every conf dir it owns: a folder with other files and without it is refused. */
export const CONF_DIR_MARKER = '.gatehouse-conf-dir';

/**
 * The default `--conf-dir`: private to this user, never a fixed name in a shared folder such as /tmp (where
 * anyone could plant it first, or plant a symbolic link in its place): `$XDG_RUNTIME_DIR/gatehouse`,
 * else `/run/gatehouse` for root, else `gatehouse-<uid>` in the temp folder.
 */
export function defaultConfDir(env: { readonly XDG_RUNTIME_DIR?: string | undefined }, uid: number): string {
  if (env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== '')
    return path.join(env.XDG_RUNTIME_DIR, 'gatehouse');
  return uid === 0 ? '/run/gatehouse' : path.join(tmpdir(), `gatehouse-${uid}`);
}

export class ConfDirError extends Error {
  override readonly name = 'ConfDirError';
}

/**
 * Makes sure Gatehouse may write (and delete) files in `dir` without being led elsewhere: the folder is
 * created 0700 when missing; it must not be a symbolic link, nor hold one at its top level (the folders
 * Gatehouse writes into); it must belong to this user (or to root: a mounted volume), and to this user
 * alone when it is the default; and a folder that already holds files must be one Gatehouse made (its
 * marker file), so that `--conf-dir /etc` is refused rather than cleaned up.
 */
export async function prepareConfDir(dir: string, options: { readonly isDefault: boolean }): Promise<string> {
  const abs = path.resolve(dir);
  const uid = process.getuid?.() ?? 0;
  const stat = await lstat(abs).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  });
  if (stat === undefined) {
    await mkdir(abs, { recursive: true, mode: 0o700 });
    await chmod(abs, 0o700);
    await writeFile(path.join(abs, CONF_DIR_MARKER), '', { mode: 0o600, flag: 'wx' });
    return abs;
  }
  const refuse = (why: string): never => {
    throw new ConfDirError(`refusing --conf-dir ${abs}: ${why}`);
  };
  if (stat.isSymbolicLink()) refuse('it is a symbolic link');
  if (!stat.isDirectory()) refuse('it is not a directory');
  if (stat.uid !== uid && (options.isDefault || stat.uid !== 0))
    refuse(`it belongs to uid ${stat.uid}, not to this user (uid ${uid})`);
  const entries = await readdir(abs);
  if (entries.length > 0 && !entries.includes(CONF_DIR_MARKER))
    refuse(
      `it already holds files that Gatehouse did not write (no ${CONF_DIR_MARKER}); use an empty folder`,
    );
  for (const entry of entries) {
    if ((await lstat(path.join(abs, entry))).isSymbolicLink())
      refuse(`it holds a symbolic link (${entry}), which Gatehouse never writes`);
  }
  if (options.isDefault && (stat.mode & 0o077) !== 0) await chmod(abs, 0o700);
  if (!entries.includes(CONF_DIR_MARKER))
    await writeFile(path.join(abs, CONF_DIR_MARKER), '', { mode: 0o600, flag: 'wx' });
  return abs;
}
