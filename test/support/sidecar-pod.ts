import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchGatehouse, REPO_ROOT, type LaunchedGatehouse } from './gatehouse-process.ts';
import { eventually } from './http-client.ts';
import { freePorts } from './ports.ts';

/**
 * The chart's sidecar pod as processes on this machine, for tests without containers: an `nginx` container
 * (bin/gatehouse-nginx, in a process group of its own as a container's processes are) and `controller`
 * containers (`gatehouse serve --nginx-mode sidecar`) sharing one conf dir and the ports. The test plays the
 * kubelet: it kills and restarts either container.
 */
export interface SidecarPod {
  readonly confDir: string;
  readonly httpPort: number;
  readonly nginxHealthzPort: number;
  readonly nginx: NginxContainer;
  /** Starts a controller container (a first one, or the successor of one that was killed). */
  controller(extraArgs?: readonly string[]): Promise<LaunchedGatehouse>;
  /** Stops every container and removes the conf dir. */
  stop(): Promise<void>;
}

export interface NginxContainer {
  /** Its main process: after `exec`, NGINX's master. */
  readonly pid: number | undefined;
  /** What it logged (the bootstrap step's lines, then NGINX's error log). */
  logs(): string;
  /** Starts it, as the kubelet (re)starts a container; resolves once NGINX answers its health port. */
  start(): Promise<void>;
  /** SIGKILL to every process of the container, as its runtime stops it; resolves once they are gone. */
  kill(): Promise<void>;
}

export async function startSidecarPod(manifests: string): Promise<SidecarPod> {
  const [httpPort = 0, httpsPort = 0, healthzPort = 0, nginxHealthzPort = 0, metricsLogPort = 0] =
    await freePorts(5);
  const confDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-sidecar-pod-'));
  // bin/gatehouse-nginx runs `node`: the pinned Node 24, as in the image.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
  let container: ChildProcess | undefined;
  let logs = '';
  const controllers: LaunchedGatehouse[] = [];

  const nginx: NginxContainer = {
    get pid() {
      return container?.pid;
    },
    logs: () => logs,
    async start() {
      const child = spawn(
        path.join(REPO_ROOT, 'bin', 'gatehouse-nginx'),
        ['--conf-dir', confDir, '--nginx-healthz-port', String(nginxHealthzPort)],
        { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env },
      );
      container = child;
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (logs += chunk));
      const up = await eventually(
        () =>
          fetch(`http://127.0.0.1:${nginxHealthzPort}/healthz`).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200 || child.exitCode !== null,
        20_000,
      );
      if (up !== 200) throw new Error(`the nginx container did not come up:\n${logs}`);
    },
    async kill() {
      const child = container;
      if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      await exited;
    },
  };

  return {
    confDir,
    httpPort,
    nginxHealthzPort,
    nginx,
    async controller(extraArgs = []) {
      const gatehouse = await launchGatehouse(
        manifests,
        [
          '--nginx-mode',
          'sidecar',
          '--nginx-healthz-port',
          String(nginxHealthzPort),
          '--metrics-log-port',
          String(metricsLogPort),
          ...extraArgs,
        ],
        { reuse: { confDir, httpPort, httpsPort, healthzPort }, keepConfDir: true },
      );
      controllers.push(gatehouse);
      return gatehouse;
    },
    async stop() {
      for (const c of controllers) await c.stop();
      await nginx.kill();
      await rm(confDir, { recursive: true, force: true });
    },
  };
}
