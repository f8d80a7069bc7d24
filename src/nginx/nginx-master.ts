import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from 'winston';
import { NginxProcessError } from './errors.ts';
import { stopStaleMaster } from './stale-master.ts';

/** A running NGINX master, whoever started it. */
export interface MasterHandle {
  readonly pid: number;
  /** Sends a signal to the master alone (SIGHUP: reload, SIGQUIT: graceful stop). */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal to the master and its workers (SIGKILL, SIGCONT). */
  signalAll(signal: NodeJS.Signals): void;
  /** Called once, when the master has exited; with its exit code or signal when it was our child. */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** NGINX's stderr when it is ours to read; undefined when it goes to another container's log. */
  readonly stderr: Readable | undefined;
}

/**
 * Where NGINX comes from: the one seam between running it as our child (`serve` on a laptop, the
 * single-container pod) and the sidecar pod, where it is the master of the `nginx` container, found
 * through the pid file in the shared conf dir. Everything else (stage, test, swap, reload, verify,
 * liveness) is the same for both.
 */
export interface MasterStrategy {
  readonly mode: 'child' | 'sidecar';
  /**
   * Whether NGINX lives and dies with the controller. A child is stopped when the controller stops or
   * exits, and started again when it dies; the `nginx` container's master keeps serving through a
   * controller restart and is started again by the kubelet.
   */
  readonly ownsMaster: boolean;
  /**
   * A master running `command` (NginxProcess.masterCommand). A child is spawned on the config on disk; in
   * the sidecar pod this waits until the `nginx` container's master runs and answers on its status socket,
   * whatever config it serves (the bootstrap one, the last good one), or until `stopping()` says to give up.
   */
  start(command: readonly string[], stopping: () => boolean): Promise<MasterHandle>;
}

/** NGINX as our child, in a process group of its own. */
export function childMaster(runDir: string, logger: Logger): MasterStrategy {
  return {
    mode: 'child',
    ownsMaster: true,
    async start([binary = 'nginx', ...args]) {
      // An NGINX that a killed controller left on this conf dir would hold the ports.
      await stopStaleMaster(runDir, logger);
      // Its own process group: the workers can be found (and stopped) if the master dies without them,
      // and a terminal's Ctrl-C reaches only Gatehouse, which then stops NGINX gracefully.
      const child = spawn(binary, args, {
        stdio: ['ignore', 'inherit', 'pipe'],
        detached: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.on('error', (error) => {
          logger.error('nginx could not be started', { error: error.message });
          reject(new NginxProcessError(`nginx could not be started: ${error.message}`));
        });
      });
      const pid = child.pid;
      if (pid === undefined) throw new NginxProcessError('nginx could not be started');
      return {
        pid,
        signal: (signal) => child.kill(signal),
        signalAll: (signal) => signalGroup(pid, signal),
        onExit: (listener) =>
          child.once('exit', (code, signal) => {
            // Workers outlive a killed master: they would keep the ports (no new master could bind) and
            // our stderr pipe. Let them finish their requests and go.
            signalGroup(pid, 'SIGQUIT');
            listener(code, signal);
          }),
        stderr: child.stderr,
      };
    },
  };
}

/** Signals every process of a process group (the NGINX master and its workers); gone already is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}
