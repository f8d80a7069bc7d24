import type { Logger } from 'winston';
import { formatDiagnostic, refKey, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { NginxConfigError, nginxMessage } from '../nginx/errors.ts';
import type { ApplyOutcome } from '../nginx/nginx-process.ts';
import { replacedLists, withEndpoints } from '../render/dynamic-state.ts';
import { render, type RenderPaths, type RenderedConfig } from '../render/render.ts';
import { ServerBlockCache } from '../render/server-blocks.ts';
import { TranslateMemo } from '../translate/translate-memo.ts';
import { refreshEndpoints, type Translated } from '../translate/endpoint-refresh.ts';
import { translate, type TranslateOptions, type TranslateResult } from '../translate/translate.ts';
import { describeChange, formatChange } from './config-changes.ts';
import { blameConfigLine } from './blame.ts';
import { findCulprits } from './culprit-search.ts';
import { oversizeCulprits } from './config-size.ts';
import { findObject, fingerprintOf, ingressAges } from './object-fingerprint.ts';

/** What the reconciler needs of NGINX: apply a rendered tree (stage, test, swap, reload, verify). */
export interface ConfigApplier {
  apply(config: RenderedConfig): Promise<ApplyOutcome>;
  /** `nginx -t` on a rendered tree, without applying it; throws NginxConfigError when NGINX refuses it. */
  check(config: RenderedConfig): Promise<void>;
  /**
   * Pushes endpoint lists (by backend) while an apply is under way, beside it; false when none is. An
   * applier without it makes endpoint changes wait for the apply under way.
   */
  pushEndpointsBeside?(entries: Readonly<Record<string, readonly string[]>>): Promise<boolean>;
}

/**
 * The quiet period before an EndpointSlice change the fast path takes (never a reload): enough to gather a
 * burst of them (a rollout's), far less than the debounce that coalesces reloads.
 */
export const ENDPOINTS_DEBOUNCE_MS = 10;

export interface ReconcileReport {
  /** The snapshot this reconcile was made from. */
  readonly snapshot: Snapshot;
  readonly result: TranslateResult;
  /** The config NGINX now serves, when this reconcile started or reloaded it. */
  readonly rendered?: RenderedConfig;
  readonly checksum: string;
  /**
   * What the config NGINX was given changed in hosts, paths and endpoints against the one served before
   * (the reload log line's `changed`), when it was given one.
   */
  readonly change?: string;
  /**
   * `unchanged` when the rendered config and dynamic state equal the live ones; `updated` when only the
   * dynamic state (endpoints) changed and was pushed without a reload.
   */
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
  /** Called with each config just before NGINX is asked to load it (traffic metrics map its routes). */
  readonly onRendered?: (result: TranslateResult, rendered: RenderedConfig) => void;
}

/**
 * The control loop: takes the newest snapshot, waits for changes to settle, and runs one reconcile at a
 * time: translate → render → (skip if unchanged) → apply. When NGINX rejects a config, the objects that
 * caused it are left out and the rest is applied, so a bad object never blocks others: the one NGINX's
 * message points at, else every culprit a binary search over the objects finds (no cap on how many). An
 * object left out stays out, without being tested again, until it changes.
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  /** The server blocks of the last render: a change prints only the hosts it touched again. */
  private readonly blocks = new ServerBlockCache();
  /** Translate's per-host memo: an edit builds only the hosts it changed (translate-memo.ts). */
  private readonly memo = new TranslateMemo();
  private pending: Snapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the debounce timer now waiting was first started (it restarts with each change, up to a limit). */
  private waitingSince: number | undefined;
  private running: Promise<void> | undefined;
  /**
   * What NGINX was last confirmed to serve (config and dynamic state), the snapshot it was made from and
   * translate's result: what the next reconcile compares with, and the endpoint fast path starts from.
   */
  private served: (Translated & { readonly rendered: RenderedConfig }) | undefined;
  /** The fast path's last answer, for the snapshot it was asked about and the served state it started from. */
  private lastRefresh:
    | {
        readonly snapshot: Snapshot;
        readonly served: Translated;
        readonly result: TranslateResult | undefined;
      }
    | undefined;
  /** True until the first snapshot arrives. */
  private neverStarted = true;
  /** When each snapshot was handed over (for the endpoint fast path's log: how long it waited). */
  private readonly arrived = new WeakMap<Snapshot, number>();
  /** The config NGINX is loading now (nginx -t and reload), with what it was made from. */
  private inFlight: (Translated & { readonly rendered: RenderedConfig }) | undefined;
  /** The quiet period of an endpoint change that comes during a reload, before it is pushed beside it. */
  private besideTimer: NodeJS.Timeout | undefined;
  /** Pushes beside a reload, one at a time. */
  private besidePushes: Promise<void> = Promise.resolve();
  private reportedDiagnostics = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Objects NGINX refused, by refKey: the object's fingerprint then, and why. */
  private refused = new Map<string, { readonly fingerprint: string; readonly reason: string }>();
  /** Since when the newest snapshot has not been served (undefined: NGINX serves the newest). */
  private staleFrom: { readonly at: number; error?: string } | undefined;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  /** The checksum of the config NGINX was last verified to serve. */
  get checksum(): string | undefined {
    return this.served?.rendered.checksum;
  }

  /**
   * Since when NGINX has been serving a config older than the newest snapshot, and the last error, if
   * any: a freeze shows here (and in /healthz and gatehouse_config_stale_seconds) at once.
   */
  get stale(): { readonly since: Date; readonly error?: string } | undefined {
    const s = this.staleFrom;
    if (s === undefined) return undefined;
    return s.error === undefined ? { since: new Date(s.at) } : { since: new Date(s.at), error: s.error };
  }

  /**
   * Hands over a new snapshot; the reconcile starts once changes have been quiet for `debounceMs`.
   * `quietForMs`: how long the change it carries had been quiet already when the source handed it over
   * (the folder watcher waits for a file to stop changing first); that much of the wait is done.
   */
  update(snapshot: Snapshot, quietForMs = 0): void {
    const now = Date.now();
    this.staleFrom ??= { at: now };
    this.pending = snapshot;
    this.arrived.set(snapshot, now);
    // An endpoint change the fast path takes reloads nothing: it waits only to gather a burst of them.
    // The very first snapshot is complete (a folder read whole, informers synced) and has nothing to be
    // coalesced with: it is reconciled at once.
    const quiet = this.neverStarted
      ? 0
      : this.refreshed(snapshot) === undefined
        ? this.options.debounceMs
        : Math.min(this.options.debounceMs, ENDPOINTS_DEBOUNCE_MS);
    this.neverStarted = false;
    if (this.inFlight !== undefined) this.pushBesideSoon();
    // Each change restarts the quiet period, but only for up to ten of them: a steady stream of changes
    // (the leader's status writes echo back as Ingress updates, one per Ingress) must not hold back a
    // reconcile for as long as it lasts.
    if (this.timer !== undefined) {
      if (now - (this.waitingSince ?? now) >= 10 * quiet) return;
      clearTimeout(this.timer);
    } else {
      this.waitingSince = now;
    }
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.waitingSince = undefined;
        this.kick();
      },
      Math.max(0, quiet - quietForMs),
    );
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
    if (this.besideTimer !== undefined) clearTimeout(this.besideTimer);
    this.timer = undefined;
    this.pending = undefined;
    await this.running;
    await this.besidePushes;
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
      // The newest snapshot is taken now (one that came during the reconcile before waits no longer): its
      // quiet period has nothing left to start, and left running it made the reconcile look stale after
      // that snapshot was served.
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.waitingSince = undefined;
      }
      const report = await this.reconcile(snapshot);
      if (report.outcome === 'failed') {
        if (this.staleFrom !== undefined && report.error !== undefined) this.staleFrom.error = report.error;
      } else if (!this.newerWaiting()) {
        this.staleFrom = undefined;
      }
      this.options.onReconciled?.(report);
      if (report.retry === true) this.retryLater(snapshot);
      else if (report.outcome !== 'failed') this.failures = 0;
    }
  }

  /** Whether a snapshot newer than the one just reconciled has arrived. */
  private newerWaiting(): boolean {
    return this.pending !== undefined || this.timer !== undefined;
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
    const excluded = this.stillRefused(snapshot);
    let fast = this.endpointsOnly(snapshot);
    for (;;) {
      const buildStarted = performance.now();
      const built = fast ?? this.build(snapshot, excluded);
      const buildMs = Math.round(performance.now() - buildStarted);
      fast = undefined;
      if ('error' in built) return { ...built, snapshot, checksum: '', outcome: 'failed' };
      const { result, rendered } = built;
      this.logDiagnostics(result.diagnostics);
      const served = this.served;
      if (
        rendered.checksum === served?.rendered.checksum &&
        rendered.dynamic.id === served.rendered.dynamic.id
      ) {
        logger.debug('configuration unchanged; no reload', { checksum: rendered.checksum });
        this.remember(snapshot, excluded);
        // The same files and state as the served ones: those stay (one copy of them in memory).
        this.serve({ snapshot, result, rendered: served.rendered });
        return { snapshot, result, checksum: rendered.checksum, outcome: 'unchanged' };
      }
      this.options.onRendered?.(result, rendered);
      try {
        const started = Date.now();
        // A new config (not only endpoints): endpoint changes that come meanwhile are pushed beside it.
        if (rendered.checksum !== served?.rendered.checksum) {
          this.inFlight = { snapshot, result, rendered };
          if (this.pending !== undefined) this.pushBesideSoon(); // came while this config was built
        }
        const outcome = await this.options.nginx.apply(rendered).finally(() => (this.inFlight = undefined));
        this.remember(snapshot, excluded);
        this.serve({ snapshot, result, rendered });
        const change = formatChange(describeChange(served?.result.model, result.model));
        logger.info(outcome === 'updated' ? 'nginx endpoints updated without a reload' : `nginx ${outcome}`, {
          changed: change,
          checksum: rendered.checksum,
          ...(outcome === 'updated'
            ? {
                state: rendered.dynamic.id,
                sinceSnapshotMs: Date.now() - (this.arrived.get(snapshot) ?? started),
              }
            : {}),
          servers: result.model.servers.length,
          upstreams: result.model.upstreams.length,
          // translate + render (0 when the fast path kept the served config), then NGINX's part (`ms`).
          buildMs,
          ms: Date.now() - started,
        });
        return { snapshot, result, checksum: rendered.checksum, outcome, rendered, change };
      } catch (error) {
        const failed = { snapshot, result, checksum: rendered.checksum, outcome: 'failed' as const };
        if (!(error instanceof NginxConfigError)) {
          const message = (error as Error).message;
          logger.error('configuration not applied; the last valid configuration keeps serving', { message });
          return { ...failed, error: message, retry: true };
        }
        const message = nginxMessage(error.stderr);
        const culprits = await this.culprits(snapshot, excluded, result, rendered, error.stderr);
        if (culprits === undefined) {
          logger.error(
            'NGINX refused the configuration and no object is to blame; the last valid configuration keeps serving',
            { nginx: message },
          );
          return { ...failed, error: message };
        }
        for (const { ref, how } of culprits) {
          logger.warn(`NGINX refused the configuration; leaving out ${refKey(ref)} and applying the rest`, {
            object: refKey(ref),
            found: how,
            nginx: message,
          });
          excluded.set(refKey(ref), `NGINX refused the configuration made with this object: ${message}`);
        }
      }
    }
  }

  /**
   * The fast path for endpoint changes: when the snapshot differs from the served one only in
   * EndpointSlices, and no change of them touches nginx.conf (src/translate/endpoint-refresh.ts says when),
   * the served config stays as it is and only the dynamic state is made again: no translate of every
   * Ingress, no render, no `nginx -t`, no reload. Undefined when the full path must run.
   */
  private endpointsOnly(
    snapshot: Snapshot,
  ): { result: TranslateResult; rendered: RenderedConfig } | undefined {
    const served = this.served;
    const result = this.refreshed(snapshot);
    if (served === undefined || result === undefined) return undefined;
    const { upstreams } = result.model;
    try {
      const dynamic = withEndpoints(served.rendered.dynamic, served.result.model.upstreams, upstreams);
      return { result, rendered: { ...served.rendered, dynamic } };
    } catch {
      return undefined; // a value the filters refuse: the full path reports it
    }
  }

  private pushBesideSoon(): void {
    this.besideTimer ??= setTimeout(() => {
      this.besideTimer = undefined;
      this.pushBeside();
    }, ENDPOINTS_DEBOUNCE_MS);
  }

  /**
   * An endpoint change that comes while NGINX loads a new config: when the newest snapshot differs from the
   * one being loaded only in EndpointSlices (as the fast path takes them), the backends they change are
   * pushed to NGINX at once, beside the reload, instead of after it (15–30 s at 10,000 Ingresses). The
   * snapshot stays pending and is reconciled as usual once the reload is done; it then finds them in place.
   */
  private pushBeside(): void {
    const flight = this.inFlight;
    const snapshot = this.pending;
    const push = this.options.nginx.pushEndpointsBeside?.bind(this.options.nginx);
    if (flight === undefined || snapshot === undefined || push === undefined) return;
    const result = refreshEndpoints(flight, snapshot, this.options.translate);
    if (result === undefined || result === flight.result) return;
    const before = flight.rendered.dynamic;
    let entries: Record<string, readonly string[]>;
    try {
      const next = withEndpoints(before, flight.result.model.upstreams, result.model.upstreams);
      // The lists it replaced, not a walk of every backend (10,000 at 10,000 Ingresses).
      entries = {};
      for (const [name, list] of Object.entries(replacedLists(before, next) ?? {}))
        if (list !== before.backends[name]) entries[name] = list;
    } catch {
      return; // a value the filters refuse: the reconcile after the reload reports it
    }
    const arrived = this.arrived.get(snapshot);
    this.besidePushes = this.besidePushes.then(async () => {
      try {
        if (!(await push(entries))) return;
        this.options.logger.info('nginx endpoints updated beside a reload', {
          backends: Object.keys(entries).length,
          ...(arrived !== undefined ? { sinceSnapshotMs: Date.now() - arrived } : {}),
        });
      } catch (error) {
        this.options.logger.warn('endpoints could not be pushed beside the reload; they follow it', {
          error: (error as Error).message,
        });
      }
    });
  }

  private serve(served: Translated & { readonly rendered: RenderedConfig }): void {
    this.served = served;
    this.lastRefresh = undefined; // made from the one served before: of no use, and it would keep it alive
  }

  /** refreshEndpoints from the served snapshot (remembered for the newest snapshot: update asks first). */
  private refreshed(snapshot: Snapshot): TranslateResult | undefined {
    const served = this.served;
    if (served === undefined) return undefined;
    const last = this.lastRefresh;
    if (last?.snapshot === snapshot && last.served === served) return last.result;
    const result = refreshEndpoints(served, snapshot, this.options.translate);
    this.lastRefresh = { snapshot, served, result };
    return result;
  }

  /**
   * translate + render. A config over the ConfigMap's max-config-size leaves out the newest Ingresses
   * until it fits (only for this build: whether an Ingress fits depends on all the others, so it is
   * never remembered against the object).
   */
  private build(
    snapshot: Snapshot,
    refused: ReadonlyMap<string, string>,
  ): { result: TranslateResult; rendered: RenderedConfig } | { result: TranslateResult; error: string } {
    const excluded = new Map(refused);
    for (;;) {
      const result = translate(snapshot, { ...this.options.translate, excluded }, this.memo);
      let rendered: RenderedConfig;
      try {
        rendered = render(result.model, this.options.paths, this.blocks);
      } catch (error) {
        const message = (error as Error).message;
        this.options.logger.error('rendering failed; the live configuration stays', { error: message });
        return { result, error: message };
      }
      const max = result.limits.maxConfigBytes;
      if (rendered.nginxConf.length <= max) return { result, rendered };
      const ages = ingressAges(snapshot);
      const culprits = oversizeCulprits(rendered.nginxConf, max, (ref) => ages.get(refKey(ref)) ?? '');
      const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
      for (const ref of culprits) {
        excluded.set(
          refKey(ref),
          `the configuration would be ${mb(rendered.nginxConf.length)}, over max-config-size (${mb(max)}); the newest Ingresses are left out until it fits`,
        );
      }
    }
  }

  /**
   * The objects behind a config NGINX refused: the one its message points at, else every culprit a binary
   * search finds by testing the config without some of the objects. Undefined when no object is to blame.
   */
  private async culprits(
    snapshot: Snapshot,
    excluded: ReadonlyMap<string, string>,
    result: TranslateResult,
    rendered: RenderedConfig,
    stderr: string,
  ): Promise<{ ref: ObjectRef; how: string }[] | undefined> {
    const blamed = blameConfigLine(rendered.nginxConf, stderr);
    if (blamed !== undefined && !excluded.has(refKey(blamed)))
      return [{ ref: blamed, how: 'named by NGINX' }];
    const candidates = result.objects.filter((o) => !excluded.has(refKey(o)));
    this.options.logger.warn('NGINX refused the configuration without naming an object; searching for it', {
      objects: candidates.length,
    });
    let tests = 0;
    const found = await findCulprits(candidates, async (more) => {
      tests += 1;
      const without = new Map(excluded);
      for (const key of more) without.set(key, 'left out while searching');
      const attempt = this.build(snapshot, without);
      if ('error' in attempt) return false;
      try {
        await this.options.nginx.check(attempt.rendered);
        return true;
      } catch (error) {
        if (error instanceof NginxConfigError) return false;
        throw error;
      }
    });
    this.options.logger.info('search for the refused objects finished', {
      tests,
      culprits: found?.map(refKey) ?? [],
    });
    return found === undefined || found.length === 0
      ? undefined
      : found.map((ref) => ({ ref, how: `by testing the configuration without it (${tests} tests)` }));
  }

  /** Objects NGINX refused that have not changed since: left out again without testing them again. */
  private stillRefused(snapshot: Snapshot): Map<string, string> {
    const excluded = new Map<string, string>();
    for (const [key, { fingerprint, reason }] of this.refused) {
      const object = findObject(snapshot, key);
      if (object !== undefined && fingerprintOf(object) === fingerprint) excluded.set(key, reason);
    }
    return excluded;
  }

  private remember(snapshot: Snapshot, excluded: ReadonlyMap<string, string>): void {
    this.refused = new Map();
    for (const [key, reason] of excluded) {
      const object = findObject(snapshot, key);
      if (object !== undefined) this.refused.set(key, { fingerprint: fingerprintOf(object), reason });
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
