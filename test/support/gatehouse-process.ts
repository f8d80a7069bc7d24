import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_ENTRY = path.join(REPO_ROOT, 'src/cli/entry.ts');

export interface RunningGatehouse {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthzPort: number;
  readonly confDir: string;
  readonly process: ChildProcess;
  /** Everything the controller logged so far (stderr). */
  logs(): string;
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `gatehouse serve` on a manifests folder as a user would (a real process, real NGINX on free
 * loopback ports) and waits until /healthz says a config is live.
 */
export async function startGatehouse(manifests: string, extraArgs: string[] = []): Promise<RunningGatehouse> {
  const [httpPort, httpsPort, healthzPort] = [await freePort(), await freePort(), await freePort()];
  const confDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-test-'));
  const child = spawn(
    process.execPath,
    [
      CLI_ENTRY,
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
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let logs = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (logs += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gatehouse exited early (${child.exitCode}):\n${logs}`);
    const ok = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gatehouse did not become healthy:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    httpPort,
    httpsPort,
    healthzPort,
    confDir,
    process: child,
    logs: () => logs,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await rm(confDir, { recursive: true, force: true });
      return code;
    },
  };
}
