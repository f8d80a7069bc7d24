import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Files NGINX may be reading are never rewritten in place: a new file is written next to the target,
 * flushed to disk, and renamed over it (rename is atomic on one file system), so a reader sees either the
 * old bytes or the new ones, never a half-written file. The directory is flushed too, so the rename itself
 * survives a crash.
 */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** Keeps the current `file` under `keep` (a hard link, so nothing is copied or rewritten); false if absent. */
export async function keepCopy(file: string, keep: string): Promise<boolean> {
  await rm(keep, { force: true });
  try {
    await link(file, keep);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Puts a kept copy back in place with one rename. */
export async function restoreCopy(keep: string, file: string): Promise<void> {
  await rename(keep, file);
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
