import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_ENTRY, killNginx, type RunningGatehouse } from './gatehouse-process.ts';
import { freePorts } from './ports.ts';

export interface ClusterGatehouseOptions {
  /** Kubeconfig the controller talks to the API server with (the least-privilege ServiceAccount). */
  readonly kubeconfig: string;
  /** POD_NAME: the replica's identity in the Lease. */
  readonly podName: string;
  /** POD_NAMESPACE: where the Lease lives. */
  readonly podNamespace: string;
  readonly electionId?: string;
  /** Lease duration in seconds (`--election-ttl`); default 3. */
  readonly electionTtl?: number;
  /** How the status address is found; default `--publish-status-address 127.0.0.1`. */
  readonly statusArgs?: readonly string[];
  readonly extraArgs?: readonly string[];
  /** Wait until /healthz says a config is live (default true). */
  readonly waitHealthy?: boolean;
  /** The CLI to run instead of CLI_ENTRY (the bundle, say). */
  readonly entry?: string;
  /** More environment for the controller and the NGINX it starts (a preloaded allocator, say). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ClusterGatehouse extends RunningGatehouse {
  readonly podName: string;
  /** The pod dies at once: SIGKILL to the controller and to its NGINX. */
  kill(): Promise<void>;
}

/** Live controllers: pid → conf dir (where NGINX's pid file is). */
const running = new Map<number, string>();
let exitHookInstalled = false;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGKILL to the controller's process group, and to NGINX's: Gatehouse starts NGINX as a group of its own. */
function killPod(pid: number, confDir: string): void {
  killNginx(confDir);
  killGroup(pid);
}

function killAll(): void {
  running.forEach((confDir, pid) => killPod(pid, confDir));
}

/**
 * Runs `gatehouse serve` in cluster mode (no --manifests) as a real process with its own NGINX on free
 * loopback ports, like one controller pod.
 */
export async function startClusterGatehouse(options: ClusterGatehouseOptions): Promise<ClusterGatehouse> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Each controller leads its own process group, so a Ctrl-C in the terminal does not reach it: take
    // every one down when this process ends, however it ends.
    process.on('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        killAll();
        process.removeListener(signal, handler);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, handler);
    }
  }
  const [httpPort = 0, httpsPort = 0, healthzPort = 0] = await freePorts(3);
  const confDir = await mkdtemp(path.join(tmpdir(), `gatehouse-${options.podName}-`));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/_proxy$/i.test(k)) env[k] = v;
  const child = spawn(
    process.execPath,
    [
      options.entry ?? CLI_ENTRY,
      'serve',
      '--kubeconfig',
      options.kubeconfig,
      '--http-port',
      String(httpPort),
      '--https-port',
      String(httpsPort),
      '--healthz-port',
      String(healthzPort),
      '--conf-dir',
      confDir,
      '--election-id',
      options.electionId ?? 'gatehouse-leader',
      '--election-ttl',
      String(options.electionTtl ?? 3),
      '--status-resync',
      '1000',
      '--log-level',
      'debug',
      ...(options.statusArgs ?? ['--publish-status-address', '127.0.0.1']),
      ...(options.extraArgs ?? []),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      env: { ...env, ...options.env, POD_NAME: options.podName, POD_NAMESPACE: options.podNamespace },
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start gatehouse');
  running.set(pid, confDir);
  let logs = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (logs += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(pid);
      resolve(code);
    }),
  );
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;

  const stop = async (): Promise<number | null> => {
    if (!gone()) child.kill('SIGTERM');
    const timer = setTimeout(() => killPod(pid, confDir), 20_000);
    const code = await exited;
    clearTimeout(timer);
    killPod(pid, confDir); // NGINX, should it have outlived its controller
    await rm(confDir, { recursive: true, force: true });
    return code;
  };

  if (options.waitHealthy ?? true) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (gone()) {
        await stop();
        throw new Error(`gatehouse ${options.podName} exited early (${child.exitCode}):\n${logs}`);
      }
      const ok = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`gatehouse ${options.podName} did not become healthy:\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    podName: options.podName,
    httpPort,
    httpsPort,
    healthzPort,
    confDir,
    process: child,
    logs: () => logs,
    stop,
    kill: async () => {
      killPod(pid, confDir);
      await exited;
    },
  };
}
