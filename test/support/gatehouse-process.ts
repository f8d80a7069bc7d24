import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The CLI the tests run: the sources, or the file `GATEHOUSE_CLI_ENTRY` names (relative to the repository);
 * the scale bench runs the bundle `dist/bundle/gatehouse.js`, as the image does.
 */
export const CLI_ENTRY = path.resolve(REPO_ROOT, process.env['GATEHOUSE_CLI_ENTRY'] ?? 'src/cli/entry.ts');
const STOP_TIMEOUT_MS = 20_000;

export interface RunningGatehouse {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthzPort: number;
  readonly confDir: string;
  readonly process: ChildProcess;
  /** Everything the controller logged so far (stderr). */
  logs(): string;
  /** SIGTERM and wait for a clean exit; returns the exit code (null if it had to be killed after 20 s). */
  stop(): Promise<number | null>;
}

/**
 * Runs `gatehouse serve` on a manifests folder as a user would (a real process, real NGINX on free
 * loopback ports) and waits until /healthz says a config is live.
 */
export async function startGatehouse(
  manifests: string,
  extraArgs: string[] = [],
): Promise<LaunchedGatehouse> {
  const gatehouse = await launchGatehouse(manifests, extraArgs);
  try {
    await waitUntilHealthy(gatehouse);
  } catch (error) {
    await gatehouse.stop();
    throw error;
  }
  return gatehouse;
}

export interface LaunchOptions {
  /**
   * `ignore` (default): stdout is /dev/null. `pipe`: stdout is a socket read by the test, as when a
   * supervisor such as systemd (journald) collects the output.
   */
  readonly stdout?: 'ignore' | 'pipe';
  /** Take over another instance's conf dir and ports (as a restarted controller would). */
  readonly reuse?: Pick<RunningGatehouse, 'confDir' | 'httpPort' | 'httpsPort' | 'healthzPort'>;
  /** Leave the conf dir when stopped: it belongs to a pod that outlives this controller (sidecar mode). */
  readonly keepConfDir?: boolean;
  /** The CLI to run instead of CLI_ENTRY (the bundle, say). */
  readonly entry?: string;
  /** More environment for the controller and the NGINX it starts (a preloaded allocator, say). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Spawns `gatehouse serve` without waiting for it to become healthy: for tests that watch what happens
 * from the very first moment.
 */
export interface LaunchedGatehouse extends RunningGatehouse {
  /** What reached stdout (NGINX's access log); empty unless launched with `stdout: 'pipe'`. */
  output(): string;
}

export async function launchGatehouse(
  manifests: string,
  extraArgs: string[] = [],
  options: LaunchOptions = {},
): Promise<LaunchedGatehouse> {
  // Distinct by construction: three separate look-ups can return the same just-released port.
  const [httpPort = 0, httpsPort = 0, healthzPort = 0] =
    options.reuse === undefined
      ? await freePorts(3)
      : [options.reuse.httpPort, options.reuse.httpsPort, options.reuse.healthzPort];
  const confDir = options.reuse?.confDir ?? (await mkdtemp(path.join(tmpdir(), 'gatehouse-test-')));
  const child = spawn(
    process.execPath,
    [
      options.entry ?? CLI_ENTRY,
      'serve',
      '--manifests',
      manifests,
      '--http-port',
      String(httpPort),
      '--https-port',
      String(httpsPort),
      '--healthz-port',
      String(healthzPort),
      '--conf-dir',
      confDir,
      '--log-level',
      'debug',
      ...extraArgs,
    ],
    { stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => (output += c));
  let logs = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (logs += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    httpPort,
    httpsPort,
    healthzPort,
    confDir,
    process: child,
    logs: () => logs,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A controller that hangs on shutdown must fail its test, not stall the whole suite.
      const timer = setTimeout(() => {
        killNginx(confDir);
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      if (options.keepConfDir !== true) await rm(confDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Polls /healthz until it answers 200; throws with the log when the process exits or time runs out. */
export async function waitUntilHealthy(gatehouse: RunningGatehouse, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const child = gatehouse.process;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`gatehouse exited early (${child.exitCode}):\n${gatehouse.logs()}`);
    }
    const ok = await fetch(`http://127.0.0.1:${gatehouse.healthzPort}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`gatehouse did not become healthy:\n${gatehouse.logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Polls /healthz until NGINX serves the newest state of the folder (no "stale" line: nothing pending, no
 * reconcile in flight), so a test starts from a quiet controller.
 */
export async function waitUntilCurrent(gatehouse: RunningGatehouse, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await fetch(`http://127.0.0.1:${gatehouse.healthzPort}/healthz`).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
    if (body.startsWith('ok') && !/^stale:/m.test(body)) return;
    if (Date.now() > deadline)
      throw new Error(`gatehouse never caught up:\n${body}\n${gatehouse.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * SIGKILLs the NGINX a controller runs in `confDir`, with its workers: NGINX leads its own process group
 * (so Gatehouse can stop workers a crashed master left behind), so killing the controller's group misses it.
 */
export function killNginx(confDir: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(confDir, 'run', 'nginx.pid'), 'utf8').trim());
  } catch {
    return; // no NGINX running
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
