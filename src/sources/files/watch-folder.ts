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
 * How long a file that held objects may read as empty before that is believed. Writing a file in place
 * (`writeFile`, `>`) truncates it first and writes after; on a loaded machine the watcher sees the empty
 * file in between (3–9 of 100 rewrites at load 16–18, measured 2026-12-01), and taking it would remove the
 * file's objects and bring them back: two reloads, seconds each at 1,000 Ingresses, for an endpoint change.
 */
export const EMPTIED_FILE_GRACE_MS = 1000;
/** A changed file is read once its size has not changed for this long (a writer may still be at it). */
const WRITE_SETTLE_MS = 40;

/**
 * Watches a folder of manifests with chokidar and hands a fresh Snapshot of the whole folder to `onSnapshot`
 * after every change. Only the files that changed are read again (the others keep their last parse); a
 * folder added or removed, or a watcher error, reads the whole folder again. The Snapshot is built from the
 * files sorted by name, so the result does not depend on event order. A file found emptied keeps its last
 * parse until it is written again, or for `EMPTIED_FILE_GRACE_MS` (a file being rewritten in place).
 */
export class ManifestFolderSource {
  private watcher: FSWatcher | undefined;
  private loading: Promise<void> = Promise.resolve();
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly onSnapshot: (s: Snapshot, quietForMs?: number) => void;
  /** Each manifest file's last parse, by path relative to the folder. */
  private files = new Map<string, ManifestFile>();
  /** Files changed since the last Snapshot. */
  private readonly dirty = new Set<string>();
  private rescan = false;
  /** Files found emptied, kept at their last parse meanwhile; `expired` once the grace is over. */
  private readonly emptied = new Map<string, { timer: NodeJS.Timeout; expired: boolean }>();
  private readonly graceMs: number;

  constructor(
    dir: string,
    logger: Logger,
    onSnapshot: (s: Snapshot, quietForMs?: number) => void,
    options: { emptiedFileGraceMs?: number } = {},
  ) {
    this.dir = path.resolve(dir);
    this.logger = logger;
    this.onSnapshot = onSnapshot;
    this.graceMs = options.emptiedFileGraceMs ?? EMPTIED_FILE_GRACE_MS;
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
      awaitWriteFinish: { stabilityThreshold: WRITE_SETTLE_MS, pollInterval: 10 },
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
          let taken = 0;
          for (const file of changed) {
            const read = await readManifestFile(this.dir, file);
            if (this.stillBeingWritten(file, read)) continue;
            taken += 1;
            if (read === undefined) this.files.delete(file);
            else this.files.set(file, read);
          }
          if (taken === 0) return;
        }
        // A changed file was reported once it had not changed for WRITE_SETTLE_MS: that much of the
        // reconciler's quiet period has passed (a rescan's cause may be newer).
        this.onSnapshot(snapshotOfFiles(this.files), rescan ? 0 : WRITE_SETTLE_MS);
      } catch (error) {
        // The folder itself vanished or is unreadable: keep serving what we have, and read it whole next time.
        this.rescan = true;
        this.logger.error('cannot read the manifest folder; keeping the last configuration', {
          error: String(error),
        });
      }
    });
  }

  /**
   * Whether `read`, an empty file that held objects when last read, may be a rewrite caught half-way: then
   * the last parse stays, and the file is read again when written, or when the grace runs out.
   */
  private stillBeingWritten(file: string, read: ManifestFile | undefined): boolean {
    const held = this.emptied.get(file);
    const empty = read !== undefined && read.objects.length === 0 && read.diagnostics.length === 0;
    if (!empty || held?.expired === true || (this.files.get(file)?.objects.length ?? 0) === 0) {
      if (held !== undefined) clearTimeout(held.timer);
      this.emptied.delete(file);
      return false;
    }
    if (held === undefined) {
      this.logger.debug('manifest file found empty; keeping its objects while it may be being written', {
        file,
        graceMs: this.graceMs,
      });
      const entry = {
        expired: false,
        timer: setTimeout(() => {
          entry.expired = true;
          this.dirty.add(file);
          this.reload();
        }, this.graceMs),
      };
      this.emptied.set(file, entry);
    }
    return true;
  }

  async stop(): Promise<void> {
    for (const { timer } of this.emptied.values()) clearTimeout(timer);
    this.emptied.clear();
    await this.watcher?.close();
    await this.loading;
  }
}
