import type { Logger } from 'winston';
import { formatDiagnostic, refKey, type Diagnostic } from '../model/diagnostics.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { NginxConfigError, nginxMessage } from '../nginx/errors.ts';
import type { ApplyOutcome } from '../nginx/nginx-process.ts';
import { render, type RenderPaths, type RenderedConfig } from '../render/render.ts';
import { translate, type TranslateOptions, type TranslateResult } from '../translate/translate.ts';
import { blameConfigLine } from './blame.ts';

/** What the reconciler needs of NGINX: apply a rendered tree (stage, test, swap, reload, verify). */
export interface ConfigApplier {
  apply(config: RenderedConfig): Promise<ApplyOutcome>;
}

export interface ReconcileReport {
  /** The snapshot this reconcile was made from. */
  readonly snapshot: Snapshot;
  readonly result: TranslateResult;
  readonly checksum: string;
  /** `unchanged` when the rendered config equals the live one, so NGINX was not reloaded. */
  readonly outcome: ApplyOutcome | 'unchanged' | 'failed';
  readonly error?: string;
  /** A failure NGINX's process caused (not the config): the same snapshot is tried again after a pause. */
  readonly retry?: boolean;
  /** Wall time of this reconcile (translate, render, nginx -t, reload, verify). */
  readonly seconds: number;
}

export interface ReconcilerOptions {
  readonly translate: Omit<TranslateOptions, 'excluded'>;
  readonly paths: RenderPaths;
  readonly nginx: ConfigApplier;
  readonly logger: Logger;
  /** Quiet period after the last change before a reconcile starts; a burst of changes gives one reload. */
  readonly debounceMs: number;
  readonly onReconciled?: (report: ReconcileReport) => void;
}

const MAX_BLAME_ROUNDS = 3;

/**
 * The control loop: takes the newest snapshot, waits for changes to settle, and runs one reconcile at a
 * time: translate → render → (skip if unchanged) → apply. When NGINX rejects a config and the error points
 * at an object, that object is left out and the rest is tried again, so one bad object never blocks others.
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  private pending: Snapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private appliedChecksum: string | undefined;
  private reportedDiagnostics = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  /** The checksum of the config NGINX was last verified to serve. */
  get checksum(): string | undefined {
    return this.appliedChecksum;
  }

  /** Hands over a new snapshot; the reconcile starts once changes have been quiet for `debounceMs`. */
  update(snapshot: Snapshot): void {
    this.pending = snapshot;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.options.debounceMs);
  }

  /** Resolves when no reconcile is running or waiting. */
  async idle(): Promise<void> {
    if (this.running === undefined && this.timer === undefined && this.pending === undefined) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling; lets a running reconcile finish. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.running;
  }

  private kick(): void {
    if (this.running !== undefined) return; // the running loop picks up `pending` when it finishes
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.timer === undefined && this.pending === undefined) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach((w) => w());
      }
    });
  }

  private async loop(): Promise<void> {
    while (this.pending !== undefined) {
      const snapshot = this.pending;
      this.pending = undefined;
      const report = await this.reconcile(snapshot);
      this.options.onReconciled?.(report);
      if (report.retry === true) this.retryLater(snapshot);
      else if (report.outcome !== 'failed') this.failures = 0;
    }
  }

  /** Tries a snapshot again after a growing pause, unless a newer one arrives first. */
  private retryLater(snapshot: Snapshot): void {
    this.failures += 1;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures - 1, 6));
    this.options.logger.info('retrying the configuration', { inMs: delay });
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed || this.pending !== undefined || this.timer !== undefined) return;
      this.pending = snapshot;
      this.kick();
    }, delay);
  }

  /** One reconcile; never throws. */
  async reconcile(snapshot: Snapshot): Promise<ReconcileReport> {
    const started = performance.now();
    const report = await this.reconcileOnce(snapshot);
    return { ...report, seconds: (performance.now() - started) / 1000 };
  }

  private async reconcileOnce(snapshot: Snapshot): Promise<Omit<ReconcileReport, 'seconds'>> {
    const { logger } = this.options;
    const excluded = new Map<string, string>();
    for (let round = 0; ; round++) {
      const result = translate(snapshot, { ...this.options.translate, excluded });
      let rendered: RenderedConfig;
      try {
        rendered = render(result.model, this.options.paths);
      } catch (error) {
        logger.error('rendering failed; the live configuration stays', { error: (error as Error).message });
        return { snapshot, result, checksum: '', outcome: 'failed', error: (error as Error).message };
      }
      this.logDiagnostics(result.diagnostics);
      if (rendered.checksum === this.appliedChecksum) {
        logger.debug('configuration unchanged; no reload', { checksum: rendered.checksum });
        return { snapshot, result, checksum: rendered.checksum, outcome: 'unchanged' };
      }
      try {
        const started = Date.now();
        const outcome = await this.options.nginx.apply(rendered);
        this.appliedChecksum = rendered.checksum;
        logger.info(`nginx ${outcome}`, {
          checksum: rendered.checksum,
          servers: result.model.servers.length,
          upstreams: result.model.upstreams.length,
          ms: Date.now() - started,
        });
        return { snapshot, result, checksum: rendered.checksum, outcome };
      } catch (error) {
        const message =
          error instanceof NginxConfigError ? nginxMessage(error.stderr) : (error as Error).message;
        const culprit =
          error instanceof NginxConfigError ? blameConfigLine(rendered.nginxConf, error.stderr) : undefined;
        if (culprit !== undefined && !excluded.has(refKey(culprit)) && round < MAX_BLAME_ROUNDS) {
          logger.warn('nginx rejected the configuration; leaving out the object it points at and retrying', {
            object: refKey(culprit),
            nginx: message,
          });
          excluded.set(refKey(culprit), `NGINX rejected the configuration made from this object: ${message}`);
          continue;
        }
        logger.error('configuration not applied; the last valid configuration keeps serving', {
          nginx: message,
        });
        return {
          snapshot,
          result,
          checksum: rendered.checksum,
          outcome: 'failed',
          error: message,
          retry: !(error instanceof NginxConfigError),
        };
      }
    }
  }

  /** Logs each diagnostic once while it persists, so a steady state does not repeat itself. */
  private logDiagnostics(diagnostics: readonly Diagnostic[]): void {
    const now = new Set(diagnostics.map(formatDiagnostic));
    for (const line of now) {
      if (!this.reportedDiagnostics.has(line)) this.options.logger.warn(line);
    }
    this.reportedDiagnostics = now;
  }
}
