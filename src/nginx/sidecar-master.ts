import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';
import { NginxProcessError } from './errors.ts';
import { signalGroup, type MasterHandle, type MasterStrategy } from './nginx-master.ts';
import { masterOnRunDir } from './stale-master.ts';
import { fetchLiveChecksum } from './status-client.ts';
import { processStat } from './workers.ts';

/** How often the pid file and /proc are looked at, while waiting for the master and for its exit. */
const POLL_MS = 200;
/** How often a controller still waiting for the `nginx` container says so. */
const WAITING_LOG_MS = 30_000;

/**
 * The sidecar pod's NGINX: the master of the `nginx` container, which shares the conf dir (an emptyDir) and
 * the process namespace (`shareProcessNamespace`) with the controller. It is found through its pid file
 * in the shared run dir and adopted whatever it serves; signalled like a child (same user); its exit is seen
 * in /proc. The controller never stops it: NGINX keeps serving through a controller restart, and the kubelet
 * restarts the `nginx` container when its master exits, starting it on the last good config.
 */
export function sidecarMaster(runDir: string, logger: Logger): MasterStrategy {
  const statusSocket = path.join(runDir, 'status.sock');
  return {
    mode: 'sidecar',
    ownsMaster: false,
    async start(_args, stopping) {
      let waitingSince: number | undefined;
      let said = 0;
      for (;;) {
        if (stopping()) throw new NginxProcessError('stopped while waiting for the nginx container');
        const pid = await masterOnRunDir(runDir);
        const stat = pid === undefined ? undefined : await processStat(pid);
        if (
          pid !== undefined &&
          stat !== undefined &&
          (await fetchLiveChecksum(statusSocket)) !== undefined
        ) {
          if (waitingSince !== undefined)
            logger.info('found the nginx container’s NGINX', {
              pid,
              waitedSeconds: Math.round((Date.now() - waitingSince) / 1000),
            });
          return adopt(pid, stat.pgrp === pid, stat.startTime);
        }
        waitingSince ??= Date.now();
        if (Date.now() - said >= WAITING_LOG_MS) {
          said = Date.now();
          logger.info('waiting for the nginx container’s NGINX to answer', {
            pidFile: path.join(runDir, 'nginx.pid'),
            statusSocket,
          });
        }
        await sleep(POLL_MS);
      }
    },
  };
}

function adopt(pid: number, leadsGroup: boolean, startTime: number): MasterHandle {
  const listeners: ((code: null, signal: null) => void)[] = [];
  // Not our child, so no exit event: the master is gone when /proc no longer shows it (a zombie not yet
  // reaped by the pod's init counts as gone, and so does another process that took its pid).
  const watch = setInterval(() => {
    void processStat(pid).then((stat) => {
      if (stat !== undefined && stat.state !== 'Z' && stat.startTime === startTime) return;
      clearInterval(watch);
      listeners.splice(0).forEach((listener) => listener(null, null));
    });
  }, POLL_MS);
  watch.unref();
  const signal = (target: number, name: NodeJS.Signals): void => {
    try {
      process.kill(target, name);
    } catch {
      // gone: the exit watch settles it
    }
  };
  return {
    pid,
    signal: (name) => signal(pid, name),
    // The master leads its container's process group (its workers are in it); should it not, the master
    // alone (when it dies, the container's runtime stops the rest).
    signalAll: (name) => (leadsGroup ? signalGroup(pid, name) : signal(pid, name)),
    onExit: (listener) => listeners.push(listener),
    stderr: undefined,
  };
}
