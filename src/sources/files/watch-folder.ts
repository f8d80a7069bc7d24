import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import type { Logger } from 'winston';
import type { Snapshot } from '../../model/snapshot.ts';
import { isManifestFile, loadManifestFolder } from './load-folder.ts';

/**
 * Watches a folder of manifests with chokidar and hands a fresh Snapshot of the whole folder to `onSnapshot`
 * after every change. Reloading the whole folder keeps the result independent of event order.
 */
export class ManifestFolderSource {
  private watcher: FSWatcher | undefined;
  private loading: Promise<void> = Promise.resolve();
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly onSnapshot: (s: Snapshot) => void;

  constructor(dir: string, logger: Logger, onSnapshot: (s: Snapshot) => void) {
    this.dir = path.resolve(dir);
    this.logger = logger;
    this.onSnapshot = onSnapshot;
  }

  /** Loads the folder once (nothing is served before this first full load), then watches it. */
  async start(): Promise<void> {
    this.onSnapshot(await loadManifestFolder(this.dir));
    const watcher = watch(this.dir, {
      ignoreInitial: true,
      ignored: (p: string, stats?: { isFile(): boolean }) =>
        path.basename(p).startsWith('.') && p !== this.dir
          ? true
          : stats?.isFile() === true && !isManifestFile(p),
      awaitWriteFinish: { stabilityThreshold: 40, pollInterval: 10 },
    });
    watcher.on('all', (event, file) => {
      this.logger.debug('manifest folder changed', { event, file: path.relative(this.dir, file) });
      this.reload();
    });
    watcher.on('error', (error) =>
      this.logger.error('watching the manifest folder failed', { error: String(error) }),
    );
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watcher = watcher;
  }

  private reload(): void {
    this.loading = this.loading.then(async () => {
      try {
        this.onSnapshot(await loadManifestFolder(this.dir));
      } catch (error) {
        // The folder itself vanished or is unreadable: keep serving what we have.
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
