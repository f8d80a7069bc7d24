import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';
import {
  DYNAMIC_STATE_FILE,
  mergedState,
  replacedLists,
  stateChange,
  withBackends,
  type DynamicState,
} from '../render/dynamic-state.ts';
import { runSockets, type RenderedConfig } from '../render/render.ts';
import { fetchStateId, socketRequest } from './dynamic-client.ts';
import { NginxConfigError, NginxProcessError, nginxMessage } from './errors.ts';
import { fetchLiveChecksum } from './status-client.ts';
import { keepCopy, restoreCopy, writeFileAtomic } from './atomic-files.ts';
import { childMaster, signalGroup, type MasterHandle, type MasterStrategy } from './nginx-master.ts';
import { allExited, childPids, processStat, reloadEnded, stoppedAccepting } from './workers.ts';
import { letWorkersEnter, letWorkersRead } from './worker-access.ts';

export interface NginxOptions {
  readonly binary: string;
  /** Folder holding the live `nginx.conf`, `staging/` and `certs/`. */
  readonly confDir: string;
  /** Folder for the pid file, temp folders and the status socket (what render was told). */
  readonly runDir: string;
  readonly logger: Logger;
  /** Longest a `nginx -t` may run; past it the test is stopped and the config counts as refused. */
  readonly testTimeoutMs?: number;
  /**
   * How long a start or reload may show no sign of progress (no CPU used by the master, no new workers)
   * before NGINX counts as hung. A slow parse uses CPU, so it is waited for however long it takes.
   */
  readonly stallTimeoutMs?: number;
  /** How long the master may stay stopped (SIGSTOP), or the status socket silent, before a restart. */
  readonly livenessTimeoutMs?: number;
  /** How often the liveness check runs. */
  readonly livenessIntervalMs?: number;
  /** Where the master comes from (src/nginx/nginx-master.ts); default: NGINX as our child. */
  readonly master?: MasterStrategy;
}

/**
 * `adopted`: an NGINX that already served this very config was found running (sidecar pod): no reload.
 * `updated`: only the dynamic state (endpoints) changed; it was pushed to NGINX without a reload.
 */
export type ApplyOutcome = 'started' | 'reloaded' | 'adopted' | 'updated';

const DEFAULT_TEST_TIMEOUT_MS = 120_000;
const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** How often the workers of an older config are looked for once a reload has left some shutting down. */
const DRAIN_CHECK_MS = 1_000;
const DEFAULT_LIVENESS_TIMEOUT_MS = 5_000;
/** How long after a start or reload verify() polls every 5 ms instead of every 20. */
const VERIFY_FAST_POLL_FOR_MS = 300;

/**
 * The NGINX process: stage a rendered tree, test it with `nginx -t`, swap it in, start or reload, and
 * verify on the status socket that the workers serve the new checksum. An invalid config never replaces
 * a valid one. A first start (no NGINX of ours running) is its own test: `nginx -t` runs only if it fails.
 * A master that dies, stops or hangs is restarted on the last good config.
 *
 * Timing: one operation at a time (apply, restart), so NGINX is never signalled before it is ready (its
 * status socket answered the checksum it was started with). A start or reload is waited for as long as
 * the master makes progress; only a stopped or stalled master is escalated (killed and started afresh).
 * Files are replaced by rename, never rewritten in place, and a failed reload is rolled back by renaming
 * the previous file back, without another signal: the master still holds the old config in memory.
 */
export class NginxProcess {
  private readonly options: NginxOptions;
  private readonly masters: MasterStrategy;
  /** The running master: our child, or the sidecar pod's `nginx` container's. */
  private child: MasterHandle | undefined;
  private stopping = false;
  private restarts = 0;
  private liveChecksum: string | undefined;
  /** Whether any config was ever verified live: only then is a dead master restarted on it. */
  private everServed = false;
  private exitWaiters: (() => void)[] = [];
  /** Serialises apply and restart: NGINX is only ever signalled by the one operation holding it. */
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;
  /** Whether an apply holds the lock (not a restart or a drain check). */
  private applying = false;
  /** Serialises the pushes of dynamic state: an apply's and those made beside it (pushEndpointsBeside). */
  private stateLock: Promise<unknown> = Promise.resolve();
  /**
   * Endpoint lists pushed beside the apply under way, by backend: every push of that apply carries them
   * over the ones its config was built with, so the reload's own pushes do not take them back.
   */
  private beside: Readonly<Record<string, readonly string[]>> | undefined;
  /** `[emerg]` lines NGINX printed so far, and the last one: a reload that failed says so there. */
  private emergencies = 0;
  private lastEmergency = '';
  private liveness: NodeJS.Timeout | undefined;
  private unhealthySince: number | undefined;
  private problemText: string | undefined;
  /** The dynamic state NGINX was last confirmed to hold, and the id of the one in the state file. */
  private pushed: DynamicState | undefined;
  private onDisk: string | undefined;
  /** The dynamic state last asked for; NGINX holds it, plus what `draining` keeps. */
  private wanted: DynamicState | undefined;
  /**
   * The state each older generation of workers read, kept in NGINX until those workers have exited: a
   * request they still hold after a reload (one waiting on its auth subrequest, a retry) picks its endpoint
   * from the backends of the config it started on, not a 503 because the new config dropped them.
   */
  private draining: { readonly workers: readonly number[]; readonly state: DynamicState }[] = [];
  /**
   * The last state pushed while workers drained, what it was merged from (`wanted`, the `draining` list and
   * `beside`): the next endpoint push, whose `wanted` withBackends made of that one, changes only its lists.
   */
  private lastMerge:
    | {
        readonly wanted: DynamicState;
        readonly draining: readonly unknown[];
        readonly beside: NginxProcess['beside'];
        readonly state: DynamicState;
      }
    | undefined;
  private drainCheck: NodeJS.Timeout | undefined;
  /**
   * The state file's writes, one at a time. Only a fresh NGINX reads the file (one that runs keeps its
   * shared state across reloads), so after a push it is written in the background, the latest state only,
   * and a start waits for it: a burst of endpoint changes is not held back by whole-file writes.
   */
  private fileWrites: Promise<void> = Promise.resolve();
  private toPersist: DynamicState | undefined;
  /**
   * Keeps the connection of the last push open for the next: a push is then written to NGINX at once, even
   * when other work (the reload's aftermath: status, Events, garbage) holds the event loop right after.
   */
  private readonly stateAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  /** The config last applied: what a restarted `nginx` container (sidecar pod) is brought back to. */
  private lastApplied: RenderedConfig | undefined;

  constructor(options: NginxOptions) {
    this.options = options;
    this.masters = options.master ?? childMaster(options.runDir, options.logger);
  }

  get confPath(): string {
    return path.join(this.options.confDir, 'nginx.conf');
  }

  get statusSocket(): string {
    return path.join(this.options.runDir, 'status.sock');
  }

  /** The checksum the workers were last verified to serve, if NGINX runs. */
  get servingChecksum(): string | undefined {
    return this.child === undefined ? undefined : this.liveChecksum;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** What the liveness check found wrong (a stopped master, a silent status socket), if anything. */
  get problem(): string | undefined {
    return this.problemText;
  }

  /** `nginx -v`, e.g. `1.22.1`. */
  async version(): Promise<string> {
    return nginxVersion(this.options.binary);
  }

  /** Runs `nginx -t` on a config file; throws NginxConfigError with NGINX's message when it fails. */
  async test(confPath: string): Promise<void> {
    await this.prepareRunDir();
    const timeoutMs = this.options.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
    const { code, stderr, timedOut } = await runNginx(
      this.options.binary,
      this.baseArgs(confPath).concat('-t', '-q'),
      timeoutMs,
    );
    if (timedOut) {
      throw new NginxConfigError(
        `nginx -t did not finish within ${timeoutMs / 1000} s and was stopped`,
        `${stderr}\nnginx: [emerg] nginx -t did not finish within ${timeoutMs / 1000} s`,
      );
    }
    if (code !== 0)
      throw new NginxConfigError(`nginx -t rejected the configuration: ${nginxMessage(stderr)}`, stderr);
  }

  /** Stages a rendered config and tests it with `nginx -t`, without touching the live one. */
  check(config: RenderedConfig): Promise<void> {
    return this.exclusive(async () => {
      await this.test(await this.stage(config));
    });
  }

  /** Stages, tests, swaps in and loads a rendered config. Leaves the live config untouched on failure. */
  apply(config: RenderedConfig): Promise<ApplyOutcome> {
    return this.exclusive(async () => {
      this.applying = true;
      try {
        const outcome = await this.applyNow(config);
        this.lastApplied = config;
        return outcome;
      } finally {
        this.applying = false;
        this.beside = undefined;
      }
    });
  }

  /**
   * Pushes endpoint lists (by backend) while an apply is under way, without waiting for it: `nginx -t` and
   * a reload of 10,000 Ingresses take 15–30 s, which an EndpointSlice change would otherwise wait out. The
   * workers of every generation see them at once (backends the live state does not have yet get them when
   * the apply adds them), and the apply's own pushes keep them. `entries` replace those of an earlier call
   * during the same apply. Resolves false when no apply is under way (then the next apply carries them).
   */
  async pushEndpointsBeside(entries: Readonly<Record<string, readonly string[]>>): Promise<boolean> {
    if (!this.applying || this.child === undefined || this.stopping) return false;
    this.beside = entries;
    return this.stateExclusive(async () => {
      const base = this.pushed;
      if (base === undefined || this.beside !== entries) return false;
      const state = withBeside(base, entries);
      if (state.id === base.id) return true;
      const held = await this.postState(stateChange(base, state));
      if (held !== state.id) return false; // NGINX holds another state: the apply's next push sets it whole
      this.pushed = state;
      this.persistLater(state);
      return true;
    });
  }

  /** Writes a rendered tree next to the live one; returns the staged nginx.conf. */
  private async stage(config: RenderedConfig): Promise<string> {
    const { confDir } = this.options;
    await mkdir(path.join(confDir, 'certs'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(confDir, 'staging'), { recursive: true });
    for (const file of config.files) {
      if (file.path === 'nginx.conf') continue;
      // Certificates are content-addressed and the Lua tree changes only with Gatehouse itself: a file that
      // holds these bytes already stays as it is; any other is written beside it and renamed into place.
      const target = path.join(confDir, file.path);
      if ((await readFile(target, 'utf8').catch(() => undefined)) === file.content) continue;
      await mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, file.content, file.mode);
      if (file.readByWorkers === true) await letWorkersRead(confDir, target);
    }
    const staged = path.join(confDir, 'staging', 'nginx.conf');
    await writeFileAtomic(staged, config.nginxConf, 0o644);
    return staged;
  }

  private async applyNow(config: RenderedConfig): Promise<ApplyOutcome> {
    if (this.child !== undefined && this.liveChecksum === config.checksum) {
      // Only the dynamic state changed (endpoints): pushed, no reload.
      await this.syncDynamic(config.dynamic);
      return 'updated';
    }
    const steps = new StepTimer();
    const staged = await this.stage(config);
    steps.lap('stage');
    // With no NGINX running there is nothing to protect: its own start is the test, so the config is parsed
    // once, not twice. A start that fails is tested with nginx -t then, so a refused config is blamed on its
    // object as before (and a start that fails on a config nginx -t accepts, a port taken, is tried again).
    const startsFresh = this.child === undefined && this.masters.ownsMaster;
    if (!startsFresh) {
      await this.test(staged);
      steps.lap('test');
    }

    const previous = path.join(this.options.confDir, 'staging', 'nginx.conf.previous');
    const hadPrevious = await keepCopy(this.confPath, previous);
    await rename(staged, this.confPath);
    try {
      let outcome: ApplyOutcome;
      if (this.child === undefined) {
        // A fresh NGINX loads the state file before its workers take a request.
        await this.writeDynamicFile(config.dynamic);
        outcome = await this.startAndVerify(config.checksum, config.dynamic);
      } else {
        await this.reloadWithDynamic(config.checksum, config.dynamic);
        outcome = 'reloaded';
      }
      steps.lap(outcome === 'started' ? 'start' : 'reload');
      await this.removeUnusedCertificates(config);
      this.options.logger.debug('nginx apply steps', { ...steps.ms, checksum: config.checksum });
      return outcome;
    } catch (error) {
      const refusal = startsFresh ? await this.refusal(this.confPath) : undefined;
      // The new config did not take. The file goes back by rename; NGINX is not signalled again: a master
      // that refused the reload still runs the old config, and one that died restarts on the old file.
      if (hadPrevious) await restoreCopy(previous, this.confPath);
      if (this.child === undefined && this.everServed && !this.stopping && this.masters.ownsMaster) {
        this.options.logger.warn('starting nginx again on the last good configuration');
        await this.startOnDisk().catch((e: unknown) =>
          this.options.logger.error('nginx restart failed', { error: (e as Error).message }),
        );
      }
      throw refusal ?? error;
    }
  }

  /** What `nginx -t` says of a config: the NginxConfigError it refuses it with, else undefined. */
  private async refusal(confPath: string): Promise<NginxConfigError | undefined> {
    try {
      await this.test(confPath);
      return undefined;
    } catch (error) {
      return error instanceof NginxConfigError ? error : undefined;
    }
  }

  /**
   * Brings NGINX's dynamic state to `state`. In the steady state NGINX holds the state pushed last, and one
   * request carries only the difference; its reply names the state NGINX then holds (state.lua sets it
   * before answering). An NGINX holding another state (restarted, or not pushed to yet) refuses that with
   * 409 and is sent the whole state, unless it holds this very one already (it loaded the state file).
   * The state file on disk follows, so a restarted NGINX starts from it.
   */
  private syncDynamic(wanted: DynamicState): Promise<void> {
    this.wanted = wanted;
    return this.stateExclusive(() => this.pushWanted());
  }

  private async pushWanted(): Promise<void> {
    if (this.wanted === undefined) return;
    const state = this.withKept(this.wanted);
    const base = this.pushed;
    let held =
      base !== undefined && base.id !== state.id ? await this.postState(stateChange(base, state)) : 409;
    if (held === 409) {
      const live = await fetchStateId(this.statusSocket);
      held = live === state.id ? live : await this.postState(stateChange(undefined, state));
    }
    if (held !== state.id)
      throw new NginxProcessError(`nginx holds dynamic state ${String(held)}, not ${state.id}`);
    this.pushed = state;
    this.persistLater(state);
  }

  /**
   * `wanted` with what NGINX must keep beside it: the states of workers still draining and the lists pushed
   * beside the apply under way. Made from the last such state by the lists alone when `wanted` is that
   * one's `wanted` with some backends' lists replaced (an endpoint push, the common case).
   */
  private withKept(wanted: DynamicState): DynamicState {
    if (this.draining.length === 0 && this.beside === undefined) {
      this.lastMerge = undefined; // nothing kept: no older state held for it either
      return wanted;
    }
    const last = this.lastMerge;
    const lists =
      last !== undefined && last.draining === this.draining && last.beside === this.beside
        ? replacedLists(last.wanted, wanted)
        : undefined;
    let state: DynamicState;
    if (last !== undefined && lists !== undefined) {
      // Lists pushed beside win over the apply's own (withBeside): those stay.
      const beside = this.beside;
      const own =
        beside === undefined
          ? lists
          : Object.fromEntries(Object.entries(lists).filter(([n]) => !Object.hasOwn(beside, n)));
      state = withBackends(last.state, own);
    } else {
      state = wanted;
      for (const older of this.draining) state = mergedState(older.state, state);
      if (this.beside !== undefined) state = withBeside(state, this.beside);
    }
    this.lastMerge = { wanted, draining: this.draining, beside: this.beside, state };
    return state;
  }

  /** POSTs a state change; the id of the state NGINX then holds, or 409 when it was made against another. */
  private async postState(change: string): Promise<string | 409 | undefined> {
    const reply = await socketRequest(
      this.statusSocket,
      'POST',
      '/gatehouse/state',
      change,
      undefined,
      this.stateAgent,
    );
    if (reply.status === 409) return 409;
    if (reply.status !== 200)
      throw new NginxProcessError(`nginx refused the dynamic state (${reply.status}): ${reply.body.trim()}`);
    const id = (JSON.parse(reply.body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  }

  /** Writes `state` to the state file after the writes before it, unless the file holds it already. */
  private writeDynamicFile(state: DynamicState): Promise<void> {
    const write = this.fileWrites.then(() => this.writeStateFile(state));
    this.fileWrites = write.catch(() => undefined);
    return write;
  }

  /** Queues a write of the latest state; states pushed while one is written are skipped for the newest. */
  private persistLater(state: DynamicState): void {
    const queued = this.toPersist !== undefined;
    this.toPersist = state;
    if (queued) return;
    this.fileWrites = this.fileWrites.then(async () => {
      const latest = this.toPersist;
      this.toPersist = undefined;
      if (latest === undefined) return;
      await this.writeStateFile(latest).catch((error: unknown) =>
        this.options.logger.warn('cannot write the dynamic state file', { error: (error as Error).message }),
      );
    });
  }

  private async writeStateFile(state: DynamicState): Promise<void> {
    if (this.onDisk === state.id) return;
    await mkdir(this.options.confDir, { recursive: true });
    await writeFileAtomic(
      path.join(this.options.confDir, DYNAMIC_STATE_FILE),
      stateChange(undefined, state),
      0o600,
    );
    this.onDisk = state.id;
  }
  /**
   * For the controller's very last moment (process exit, whatever the cause): tells our NGINX to quit, so it
   * does not outlive the controller holding the ports. Synchronous; in-flight requests still finish. The
   * sidecar pod's NGINX is left serving for the next controller to adopt.
   */
  quitNow(): void {
    if (!this.masters.ownsMaster) return;
    this.child?.signalAll('SIGCONT');
    this.child?.signalAll('SIGQUIT');
  }

  /**
   * Stops our NGINX gracefully (SIGQUIT lets workers finish their requests), then hard after a grace period.
   * The sidecar pod's NGINX is only let go: its container drains and stops it.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.stopLiveness();
    this.stateAgent.destroy();
    this.stopDrainCheck();
    // The sidecar pod's NGINX outlives us: a restart of its container starts from the state file.
    await this.fileWrites;
    const child = this.child;
    if (child === undefined || !this.masters.ownsMaster) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.signalAll('SIGCONT'); // a stopped master could not quit
    child.signal('SIGQUIT');
    const timer = setTimeout(() => child.signalAll('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private stateExclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.stateLock.then(operation);
    this.stateLock = run.catch(() => undefined);
    return run;
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      this.busy = true;
      try {
        return await operation();
      } finally {
        this.busy = false;
      }
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Starts our NGINX on the config on disk, or in the sidecar pod finds the `nginx` container's master: it
   * is adopted as it is when it serves this very config (a restarted controller), else reloaded onto it.
   */
  private async startAndVerify(
    checksum: string | undefined,
    dynamic: DynamicState | undefined,
  ): Promise<ApplyOutcome> {
    const child = await this.spawnMaster();
    let outcome: ApplyOutcome = 'started';
    if (!this.masters.ownsMaster) {
      const live = await fetchLiveChecksum(this.statusSocket);
      if (checksum !== undefined && live !== checksum) {
        await this.reloadWithDynamic(checksum, dynamic);
        return 'reloaded';
      }
      outcome = 'adopted';
    }
    try {
      await this.verify(child, checksum, [], this.emergencies);
    } catch (error) {
      // Our master that never became ready is not left running: nothing may signal it later.
      if (this.masters.ownsMaster) await this.killAndWait(child);
      throw error;
    }
    if (dynamic !== undefined) await this.syncDynamic(dynamic);
    return outcome;
  }

  /**
   * Reloads onto `checksum` with the dynamic state around it: backends new in the config are in the shared
   * state before any new worker can use them; changed endpoints and the backends only the old config used
   * follow once the reload is verified, so a client sees the whole change at once. An NGINX without the
   * shared state yet (the sidecar's bootstrap config) loads the state file as it reloads.
   */
  private async reloadWithDynamic(checksum: string, dynamic: DynamicState | undefined): Promise<void> {
    if (dynamic !== undefined && (await fetchStateId(this.statusSocket)) !== undefined)
      await this.syncDynamic(mergedState(dynamic, this.pushed));
    const before = this.pushed;
    const oldWorkers = await this.reloadAndVerify(checksum, dynamic);
    if (before !== undefined && oldWorkers.length > 0) this.keepUntilExited(oldWorkers, before);
    if (dynamic !== undefined) await this.syncDynamic(dynamic);
  }

  /** Keeps `state` in NGINX beside what is wanted until `workers` have exited, checked once a second. */
  private keepUntilExited(workers: readonly number[], state: DynamicState): void {
    this.draining = [...this.draining, { workers, state }]; // a new list: withKept compares it by identity
    this.drainCheck ??= setInterval(() => {
      if (this.busy) return;
      void this.exclusive(() => this.dropExited()).catch((error: unknown) =>
        this.options.logger.warn('could not drop the endpoints of exited workers', {
          error: (error as Error).message,
        }),
      );
    }, DRAIN_CHECK_MS).unref();
  }

  private async dropExited(): Promise<void> {
    const still = [];
    for (const older of this.draining) if (!(await allExited(older.workers))) still.push(older);
    if (still.length === this.draining.length) return;
    this.draining = still;
    if (still.length === 0) this.stopDrainCheck();
    if (this.child !== undefined && !this.stopping && this.wanted !== undefined)
      await this.syncDynamic(this.wanted);
  }

  private stopDrainCheck(): void {
    clearInterval(this.drainCheck);
    this.drainCheck = undefined;
  }

  /** Reloads onto `checksum`; the workers that served before it, or none when NGINX had to start afresh. */
  private async reloadAndVerify(checksum: string, dynamic: DynamicState | undefined): Promise<number[]> {
    const child = this.child;
    if (child === undefined) throw new NginxProcessError('nginx is not running');
    const oldWorkers = await childPids(child.pid);
    const emergenciesBefore = this.emergencies;
    child.signal('SIGHUP');
    try {
      await this.verify(child, checksum, oldWorkers, emergenciesBefore);
      return oldWorkers;
    } catch (error) {
      if (!(error instanceof NginxStalledError) || this.stopping) throw error;
      // Escalate: the master is stopped or hung and will not load anything. Kill it (and its workers)
      // and start afresh on the new config, which nginx -t has accepted.
      this.options.logger.error(`${error.message}; killing it and starting nginx afresh`);
      await this.killAndWait(child);
      if (dynamic !== undefined) await this.writeDynamicFile(dynamic);
      await this.startAndVerify(checksum, dynamic);
      return [];
    }
  }

  private async spawnMaster(): Promise<MasterHandle> {
    await this.prepareRunDir();
    // A new master has no workers of an older config.
    this.draining = [];
    this.stopDrainCheck();
    const { logger } = this.options;
    const child = await this.masters.start(this.masterCommand(), () => this.stopping);
    this.child = child;
    this.liveChecksum = undefined;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        const level = /\[(emerg|alert|crit|error)\]/.test(line)
          ? 'error'
          : /\[warn\]/.test(line) || / \*\d+ ModSecurity: Warning\./.test(line)
            ? 'warn'
            : 'debug';
        if (/\[emerg\]/.test(line)) {
          this.emergencies += 1;
          this.lastEmergency = line;
        }
        logger.log(level, line.replace(/^nginx: /, ''), { component: 'nginx' });
      }
    });
    child.onExit((code, signal) => {
      if (this.child === child) this.child = undefined;
      this.liveChecksum = undefined;
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      waiters.forEach((w) => w());
      if (this.stopping) return;
      if (!this.everServed) {
        // It never served: the config on disk is not known to work. The apply that started it fails and
        // the reconciler tries again.
        logger.error('nginx exited before serving any configuration', { code, signal });
        return;
      }
      logger.error(
        this.masters.ownsMaster
          ? 'nginx exited unexpectedly; restarting it on the last good config'
          : 'the nginx container’s NGINX exited; bringing its successor to the last good config',
        { code, signal },
      );
      void this.restartAfterCrash();
    });
    this.startLiveness();
    return child;
  }

  private restartAfterCrash(): Promise<void> {
    return this.exclusive(async () => {
      this.restarts += 1;
      await sleep(Math.min(5000, 100 * 2 ** Math.min(this.restarts, 6)));
      if (this.stopping || this.child !== undefined) return;
      try {
        const checksum = await this.startOnDisk();
        this.restarts = 0;
        this.options.logger.info('nginx restarted', { checksum });
      } catch (error) {
        this.options.logger.error('nginx restart failed', { error: (error as Error).message });
      }
    });
  }

  /**
   * Starts NGINX on the nginx.conf on disk (the last good one) and verifies it; returns its checksum. The
   * sidecar pod's `nginx` container may have started on its bootstrap config instead: it is brought to the
   * last applied one (no reload when it serves that already).
   */
  private async startOnDisk(): Promise<string | undefined> {
    if (!this.masters.ownsMaster && this.lastApplied !== undefined) {
      await this.applyNow(this.lastApplied);
      return this.lastApplied.checksum;
    }
    const conf = await readFile(this.confPath, 'utf8');
    const checksum = /^# checksum ([0-9a-f]+)$/m.exec(conf)?.[1];
    if (this.pushed !== undefined) await this.writeDynamicFile(this.pushed);
    await this.startAndVerify(checksum, this.pushed);
    return checksum;
  }

  /**
   * Waits until the workers answer with `checksum` on the status socket and every old worker has stopped
   * taking connections; only then can no new request meet the old config. There is no fixed deadline:
   * a master that parses a large config uses CPU and is waited for. It fails when the master exits, when a
   * reload printed an `[emerg]` and the master went back to waiting (NGINX refused the reload and kept the
   * old config), and with NginxStalledError when the master is stopped or shows no progress for the
   * stall timeout.
   */
  private async verify(
    child: MasterHandle,
    checksum: string | undefined,
    oldWorkers: readonly number[],
    emergenciesBefore: number,
  ): Promise<void> {
    const pid = child.pid;
    const stallMs = this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const started = Date.now();
    // A small config loads in about 100 ms: polled closely then, less often while a big one is parsed
    // (each poll reads the status socket and /proc on the cores NGINX parses on).
    const pause = (): Promise<void> => sleep(Date.now() - started < VERIFY_FAST_POLL_FOR_MS ? 5 : 20);
    let lastProgress = Date.now();
    let lastTicks = -1;
    let lastWorkers = '';
    for (;;) {
      if (this.child !== child) throw new NginxProcessError('nginx exited while loading the configuration');
      const live = await fetchLiveChecksum(this.statusSocket);
      if (
        (checksum === undefined ? live !== undefined : live === checksum) &&
        (await stoppedAccepting(oldWorkers))
      ) {
        this.liveChecksum = live;
        this.everServed = true;
        this.problemText = undefined;
        this.unhealthySince = undefined;
        return;
      }
      const master = await processStat(pid);
      if (master === undefined || master.state === 'Z') {
        await pause();
        continue; // exiting: the exit handler settles it
      }
      if (master.state === 'T' || master.state === 't')
        throw new NginxStalledError('the nginx master is stopped (SIGSTOP)');
      if (this.emergencies > emergenciesBefore && master.state === 'S' && live !== checksum) {
        // A reload NGINX refused: it printed why and went back to serving the previous config.
        await sleep(100);
        if ((await fetchLiveChecksum(this.statusSocket)) !== checksum)
          throw new NginxConfigError(
            `nginx refused the new configuration: ${nginxMessage(this.lastEmergency)}`,
            this.lastEmergency,
          );
      } else if (child.stderr === undefined && oldWorkers.length > 0) {
        // The same, seen from /proc where NGINX's log is another container's; and a reload that took but
        // serves another config (the nginx container wrote its bootstrap config over ours). Twice, 100 ms
        // apart, in case the master only waited on that log.
        const ended = await reloadEnded(pid, oldWorkers);
        if (ended !== undefined && live !== checksum) {
          await sleep(100);
          const now = await fetchLiveChecksum(this.statusSocket);
          if (now !== checksum && (await reloadEnded(pid, oldWorkers)) === ended) {
            if (ended === 'refused')
              throw new NginxConfigError(
                'nginx refused the new configuration (the nginx container’s log says why)',
                'nginx: [emerg] the reload was refused; see the nginx container’s log',
              );
            if (await stoppedAccepting(oldWorkers))
              throw new NginxProcessError(
                `nginx loaded another configuration (checksum ${now ?? 'none'}) than the one swapped in`,
              );
          }
        }
      }
      const workers = (await childPids(pid)).join(',');
      if (master.cpuTicks !== lastTicks || workers !== lastWorkers || master.state === 'R') {
        lastTicks = master.cpuTicks;
        lastWorkers = workers;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > stallMs) {
        throw new NginxStalledError(`the nginx master made no progress for ${stallMs / 1000} s`);
      }
      await pause();
    }
  }

  /**
   * The supervisor's liveness check, between operations: a master that stays stopped (SIGSTOP) or a status
   * socket that stays silent for the liveness timeout counts as dead: NGINX is killed and restarted on the
   * last good config. A check never interrupts an apply or restart in progress.
   */
  private startLiveness(): void {
    if (this.liveness !== undefined) return;
    const interval = this.options.livenessIntervalMs ?? 1000;
    this.liveness = setInterval(() => void this.checkLiveness(), interval);
    this.liveness.unref();
  }

  private stopLiveness(): void {
    if (this.liveness !== undefined) clearInterval(this.liveness);
    this.liveness = undefined;
  }

  private async checkLiveness(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.everServed || !this.quietWith(child)) return;
    const stat = await processStat(child.pid);
    let problem: string | undefined;
    if (stat?.state === 'T' || stat?.state === 't') problem = 'the nginx master is stopped (SIGSTOP)';
    else if ((await fetchLiveChecksum(this.statusSocket, 2000)) === undefined)
      problem = 'nginx does not answer on its status socket';
    if (!this.quietWith(child)) return; // an operation started meanwhile; it checks for itself
    if (problem === undefined) {
      if (this.problemText !== undefined) this.options.logger.info('nginx answers again');
      this.problemText = undefined;
      this.unhealthySince = undefined;
      return;
    }
    if (this.problemText === undefined) this.options.logger.warn(problem);
    this.problemText = problem;
    this.unhealthySince ??= Date.now();
    if (Date.now() - this.unhealthySince < (this.options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS))
      return;
    this.unhealthySince = undefined;
    await this.exclusive(async () => {
      if (this.child !== child || this.stopping) return;
      this.options.logger.error(`${problem}; killing nginx and starting it again on the last good config`);
      await this.killAndWait(child);
      try {
        await this.startOnDisk();
        this.options.logger.info('nginx restarted');
      } catch (error) {
        this.options.logger.error('nginx restart failed', { error: (error as Error).message });
      }
    });
  }

  /** True when `child` is the running master and no operation (apply, restart) is under way. */
  private quietWith(child: MasterHandle): boolean {
    return !this.busy && !this.stopping && this.child === child;
  }

  /** SIGKILLs the master and its workers (a stopped process dies too) and waits for the exit. */
  private async killAndWait(child: MasterHandle): Promise<void> {
    if (this.child !== child) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    const wasStopping = this.stopping;
    this.stopping = true; // no automatic restart: the caller starts it
    child.signalAll('SIGKILL');
    await exited;
    this.stopping = wasStopping;
  }

  private async prepareRunDir(): Promise<void> {
    const { runDir } = this.options;
    await mkdir(path.join(runDir, 'tmp'), { recursive: true });
    // Workers connect to the unix sockets of SSL passthrough there.
    await letWorkersEnter(this.options.confDir, runDir);
    // Stale after a crash of our NGINX; the sidecar pod's NGINX owns its socket.
    if (this.child === undefined && this.masters.ownsMaster)
      for (const socket of runSockets(runDir)) await rm(socket, { force: true });
  }

  private async removeUnusedCertificates(config: RenderedConfig): Promise<void> {
    const keep = new Set(config.files.map((f) => f.path));
    for (const folder of ['certs', 'auth', 'modsecurity']) {
      const dir = path.join(this.options.confDir, folder);
      for (const name of await readdir(dir).catch(() => [])) {
        if (!keep.has(`${folder}/${name}`)) await rm(path.join(dir, name), { force: true });
      }
    }
  }

  /** How the master runs: in the foreground on the live config. */
  masterCommand(): string[] {
    return [this.options.binary, ...this.baseArgs(this.confPath), '-g', 'daemon off;'];
  }

  private baseArgs(confPath: string): string[] {
    return ['-p', this.options.runDir, '-e', 'stderr', '-c', confPath];
  }
}

/** Milliseconds per step of an operation, for the debug log. */
class StepTimer {
  readonly ms: Record<string, number> = {};
  private last = performance.now();

  lap(step: string): void {
    const now = performance.now();
    this.ms[`${step}Ms`] = Math.round(now - this.last);
    this.last = now;
  }
}

/** NGINX is stopped or hung: waiting longer will not help. */
class NginxStalledError extends NginxProcessError {}

/** `nginx -v` of a binary, e.g. `1.22.1`; throws NginxProcessError when it cannot be run. */
export async function nginxVersion(binary: string): Promise<string> {
  const { code, stderr } = await runNginx(binary, ['-v'], 10_000);
  const m = /nginx\/(\S+)/.exec(stderr);
  if (code !== 0 || m?.[1] === undefined)
    throw new NginxProcessError(`cannot run ${binary} -v: ${stderr.trim()}`);
  return m[1];
}

/** Runs NGINX to completion and collects what it says (it says everything on stderr); killed at `timeoutMs`. */
function runNginx(
  binary: string,
  args: readonly string[],
  timeoutMs = DEFAULT_TEST_TIMEOUT_MS,
): Promise<{ code: number; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops whatever it started too (and our stderr pipe closes).
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: error.message, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr, timedOut });
    });
  });
}

/** `state` with those of `entries`' endpoint lists whose backend it has. */
function withBeside(state: DynamicState, entries: Readonly<Record<string, readonly string[]>>): DynamicState {
  const present: Record<string, readonly string[]> = {};
  for (const [name, list] of Object.entries(entries))
    if (Object.hasOwn(state.backends, name)) present[name] = list;
  return withBackends(state, present);
}
