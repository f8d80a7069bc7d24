import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';

/**
 * The pid of the NGINX master running on this run folder, if any: the pid file names it, and only a process
 * that is NGINX's master started with this run folder as its prefix counts (a pid file can outlive its
 * process and the pid be reused).
 */
export async function masterOnRunDir(runDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(path.join(runDir, 'nginx.pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  // The master rewrites its title: "nginx: master process nginx -p RUNDIR -e stderr -c …".
  const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
  if (!title.startsWith('nginx: master process ') || !title.includes(` -p ${runDir} `)) return undefined;
  return (await alive(pid)) ? pid : undefined;
}

/**
 * Stops an NGINX master that an earlier controller left running on this run folder (it was killed before
 * it could stop NGINX), so that ours can bind the ports.
 */
export async function stopStaleMaster(runDir: string, logger: Logger, graceMs = 10_000): Promise<void> {
  const pid = await masterOnRunDir(runDir);
  if (pid === undefined) return;
  logger.warn('an NGINX left running by an earlier controller still holds this conf dir; stopping it', {
    pid,
  });
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGQUIT');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await alive(pid))) await sleep(50);
  if (!(await alive(pid))) return; // its workers finish their requests; the listening sockets are closed
  // Its workers lead no group of their own: the master's group takes them with it.
  signal(-pid, 'SIGKILL');
  while (await alive(pid)) await sleep(20);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

async function alive(pid: number): Promise<boolean> {
  // A zombie (exited, not yet reaped by its parent) counts as gone.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z /.test(stat);
}
