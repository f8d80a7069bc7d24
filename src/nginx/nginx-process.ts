import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';
import type { RenderedConfig } from '../render/render.ts';
import { NginxConfigError, NginxProcessError, nginxMessage } from './errors.ts';
import { fetchLiveChecksum } from './status-client.ts';
import { childPids, stoppedAccepting } from './workers.ts';

export interface NginxOptions {
  readonly binary: string;
  /** Folder holding the live `nginx.conf`, `staging/` and `certs/`. */
  readonly confDir: string;
  /** Folder for the pid file, temp folders and the status socket (what render was told). */
  readonly runDir: string;
  readonly logger: Logger;
  /** How long a reload may take to show up on the status socket. */
  readonly verifyTimeoutMs?: number;
}

export type ApplyOutcome = 'started' | 'reloaded';

/**
 * The NGINX process: stage a rendered tree, test it with `nginx -t`, swap it in, start or reload, and
 * verify on the status socket that the workers serve the new checksum. An invalid config never replaces
 * a valid one. A master that dies is restarted on the last good config.
 */
export class NginxProcess {
  private readonly options: NginxOptions;
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private liveChecksum: string | undefined;
  /** Whether any config was ever verified live: only then is a dead master restarted on it. */
  private everServed = false;
  private exitWaiters: (() => void)[] = [];

  constructor(options: NginxOptions) {
    this.options = options;
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

  /** `nginx -v`, e.g. `1.22.1`. */
  async version(): Promise<string> {
    return nginxVersion(this.options.binary);
  }

  /** Runs `nginx -t` on a config file; throws NginxConfigError with NGINX's message when it fails. */
  async test(confPath: string): Promise<void> {
    await this.prepareRunDir();
    const { code, stderr } = await this.run(this.baseArgs(confPath).concat('-t', '-q'));
    if (code !== 0)
      throw new NginxConfigError(`nginx -t rejected the configuration: ${nginxMessage(stderr)}`, stderr);
  }

  /** Stages a rendered config and tests it with `nginx -t`, without touching the live one. */
  async check(config: RenderedConfig): Promise<void> {
    await this.test(await this.stage(config));
  }

  /** Writes a rendered tree next to the live one; returns the staged nginx.conf. */
  private async stage(config: RenderedConfig): Promise<string> {
    const { confDir } = this.options;
    const staging = path.join(confDir, 'staging');
    await mkdir(path.join(confDir, 'certs'), { recursive: true, mode: 0o700 });
    await mkdir(staging, { recursive: true });
    for (const file of config.files) {
      if (file.path === 'nginx.conf') continue;
      // Certificate files are content-addressed: writing one never changes a file the live config uses.
      await writeFile(path.join(confDir, file.path), file.content, { mode: file.mode });
    }
    const staged = path.join(staging, 'nginx.conf');
    await writeFile(staged, config.nginxConf, { mode: 0o644 });
    return staged;
  }

  /** Stages, tests, swaps in and loads a rendered config. Leaves the live config untouched on failure. */
  async apply(config: RenderedConfig): Promise<ApplyOutcome> {
    const staged = await this.stage(config);
    await this.test(staged);

    const previous = await readFile(this.confPath, 'utf8').catch(() => undefined);
    await rename(staged, this.confPath);
    try {
      let outcome: ApplyOutcome;
      let oldWorkers: number[] = [];
      if (this.child === undefined) {
        await this.start();
        outcome = 'started';
      } else {
        oldWorkers = this.child.pid === undefined ? [] : await childPids(this.child.pid);
        this.child.kill('SIGHUP');
        outcome = 'reloaded';
      }
      await this.verify(config.checksum, oldWorkers);
      await this.removeUnusedCertificates(config);
      return outcome;
    } catch (error) {
      // The new config did not take: put the last good one back for the next (re)start.
      if (previous !== undefined) {
        await writeFile(this.confPath, previous);
        if (this.child !== undefined) this.child.kill('SIGHUP');
      }
      throw error;
    }
  }

  /** Stops NGINX gracefully (SIGQUIT lets workers finish their requests), then hard after a grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  private async start(): Promise<void> {
    await this.prepareRunDir();
    const { logger, binary } = this.options;
    // Its own process group: the workers can be found (and stopped) if the master dies without them, and a
    // terminal's Ctrl-C reaches only Gatehouse, which then stops NGINX gracefully.
    const child = spawn(binary, [...this.baseArgs(this.confPath), '-g', 'daemon off;'], {
      stdio: ['ignore', 'inherit', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.liveChecksum = undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        const level = /\[(emerg|alert|crit|error)\]/.test(line)
          ? 'error'
          : /\[warn\]/.test(line)
            ? 'warn'
            : 'debug';
        logger.log(level, line.replace(/^nginx: /, ''), { component: 'nginx' });
      }
    });
    child.on('error', (error) => logger.error('nginx could not be started', { error: error.message }));
    child.on('exit', (code, signal) => {
      // Workers outlive a killed master: they would keep the ports (no new master could bind) and our
      // stderr pipe. Let them finish their requests and go.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGQUIT');
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
      logger.error('nginx exited unexpectedly; restarting it on the last good config', { code, signal });
      void this.restartAfterCrash();
    });
  }

  private async restartAfterCrash(): Promise<void> {
    this.restarts += 1;
    await sleep(Math.min(5000, 100 * 2 ** Math.min(this.restarts, 6)));
    if (this.stopping || this.child !== undefined) return;
    try {
      const conf = await readFile(this.confPath, 'utf8');
      const checksum = /^# checksum ([0-9a-f]+)$/m.exec(conf)?.[1];
      await this.start();
      if (checksum !== undefined) await this.verify(checksum);
      this.restarts = 0;
      this.options.logger.info('nginx restarted', { checksum });
    } catch (error) {
      this.options.logger.error('nginx restart failed', { error: (error as Error).message });
    }
  }

  /**
   * Waits until the new workers answer with `checksum` on the status socket and every old worker has
   * stopped taking connections; only then can no new request meet the old config.
   */
  private async verify(checksum: string, oldWorkers: readonly number[] = []): Promise<void> {
    const deadline = Date.now() + (this.options.verifyTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      if (this.child === undefined)
        throw new NginxProcessError('nginx exited while loading the configuration');
      if ((await fetchLiveChecksum(this.statusSocket)) === checksum && (await stoppedAccepting(oldWorkers))) {
        this.liveChecksum = checksum;
        this.everServed = true;
        return;
      }
      await sleep(20);
    }
    throw new NginxProcessError(`nginx did not start serving configuration ${checksum} in time`);
  }

  private async prepareRunDir(): Promise<void> {
    const { runDir } = this.options;
    await mkdir(path.join(runDir, 'tmp'), { recursive: true });
    if (this.child === undefined) await rm(this.statusSocket, { force: true }); // stale after a crash
  }

  private async removeUnusedCertificates(config: RenderedConfig): Promise<void> {
    const keep = new Set(config.files.map((f) => path.basename(f.path)));
    const dir = path.join(this.options.confDir, 'certs');
    for (const name of await readdir(dir)) {
      if (!keep.has(name)) await rm(path.join(dir, name), { force: true });
    }
  }

  private baseArgs(confPath: string): string[] {
    return ['-p', this.options.runDir, '-e', 'stderr', '-c', confPath];
  }

  private run(args: string[]): Promise<{ code: number; stderr: string }> {
    return runNginx(this.options.binary, args);
  }
}

/** `nginx -v` of a binary, e.g. `1.22.1`; throws NginxProcessError when it cannot be run. */
export async function nginxVersion(binary: string): Promise<string> {
  const { code, stderr } = await runNginx(binary, ['-v']);
  const m = /nginx\/(\S+)/.exec(stderr);
  if (code !== 0 || m?.[1] === undefined)
    throw new NginxProcessError(`cannot run ${binary} -v: ${stderr.trim()}`);
  return m[1];
}

/** Runs NGINX to completion and collects what it says (it says everything on stderr). */
function runNginx(binary: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ code: -1, stderr: error.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** Signals every process of a process group (the NGINX master and its workers); gone already is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}
