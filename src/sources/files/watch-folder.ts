import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import type { Logger } from 'winston';
import type { Snapshot } from '../../model/snapshot.ts';
import {
  isHidden,
  isManifestFile,
  readManifestFile,
  readManifestFiles,
  snapshotOfFiles,
  type ManifestFile,
} from './load-folder.ts';

/**
 * Watches a folder of manifests with chokidar and hands a fresh Snapshot of the whole folder to `onSnapshot`
 * after every change. Only the files that changed are read again (the others keep their last parse); a
 * folder added or removed, or a watcher error, reads the whole folder again. The Snapshot is built from the
 * files sorted by name, so the result does not depend on event order.
 */
export class ManifestFolderSource {
  private watcher: FSWatcher | undefined;
  private loading: Promise<void> = Promise.resolve();
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly onSnapshot: (s: Snapshot) => void;
  /** Each manifest file's last parse, by path relative to the folder. */
  private files = new Map<string, ManifestFile>();
  /** Files changed since the last Snapshot. */
  private readonly dirty = new Set<string>();
  private rescan = false;

  constructor(dir: string, logger: Logger, onSnapshot: (s: Snapshot) => void) {
    this.dir = path.resolve(dir);
    this.logger = logger;
    this.onSnapshot = onSnapshot;
  }

  /** Loads the folder once (nothing is served before this first full load), then watches it. */
  async start(): Promise<void> {
    this.files = await readManifestFiles(this.dir);
    this.onSnapshot(snapshotOfFiles(this.files));
    const watcher = watch(this.dir, {
      ignoreInitial: true,
      ignored: (p: string, stats?: { isFile(): boolean }) =>
        path.basename(p).startsWith('.') && p !== this.dir
          ? true
          : stats?.isFile() === true && !isManifestFile(p),
      awaitWriteFinish: { stabilityThreshold: 40, pollInterval: 10 },
    });
    watcher.on('all', (event, file) => {
      const relative = path.relative(this.dir, file);
      this.logger.debug('manifest folder changed', { event, file: relative });
      if ((event === 'add' || event === 'change' || event === 'unlink') && isManifestFile(file)) {
        if (!isHidden(relative)) this.dirty.add(relative);
      } else {
        this.rescan = true;
      }
      this.reload();
    });
    watcher.on('error', (error) => {
      this.logger.error('watching the manifest folder failed', { error: String(error) });
      this.rescan = true;
      this.reload();
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watcher = watcher;
  }

  private reload(): void {
    this.loading = this.loading.then(async () => {
      if (!this.rescan && this.dirty.size === 0) return; // an earlier turn took these changes already
      const rescan = this.rescan;
      const changed = [...this.dirty];
      this.rescan = false;
      this.dirty.clear();
      try {
        if (rescan) {
          this.files = await readManifestFiles(this.dir);
        } else {
          for (const file of changed) {
            const read = await readManifestFile(this.dir, file);
            if (read === undefined) this.files.delete(file);
            else this.files.set(file, read);
          }
        }
        this.onSnapshot(snapshotOfFiles(this.files));
      } catch (error) {
        // The folder itself vanished or is unreadable: keep serving what we have, and read it whole next time.
        this.rescan = true;
        this.logger.error('cannot read the manifest folder; keeping the last configuration', {
          error: String(error),
        });
      }
    });
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    await this.loading;
  }
}
