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
  const temp = await writeTemp(file, content, mode);
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/**
 * The same, but only when `file` does not exist (a hard link fails on an existing name): false when it did,
 * and it is left as it is. For two writers that must not overwrite each other.
 */
export async function createFileAtomic(file: string, content: string, mode: number): Promise<boolean> {
  const temp = await writeTemp(file, content, mode);
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(path.dirname(file));
  return true;
}

/** `content` in a new file next to `file`, flushed to disk; its name. */
async function writeTemp(file: string, content: string, mode: number): Promise<string> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
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
