import { readdir, readFile } from 'node:fs/promises';

/**
 * NGINX's worker processes, read from /proc (Linux). After a reload the old workers keep accepting
 * connections until they handle the shutdown signal; a worker that has handled it has already renamed
 * itself "worker process is shutting down", and closes its listening sockets in the same step.
 */

/** Pids of the children of `masterPid`; empty where /proc cannot be read. */
export async function childPids(masterPid: number): Promise<number[]> {
  return (await listedChildren(masterPid)) ?? (await scannedChildren(masterPid));
}

/**
 * The kernel's own list of a process's children (`/proc/PID/task/TID/children`, Linux 3.5+ with
 * CONFIG_PROC_CHILDREN): a few reads instead of one per process on the machine, which the reload check
 * polls every 20 ms. Undefined where the kernel has no such file.
 */
async function listedChildren(pid: number): Promise<number[] | undefined> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const children: number[] = [];
  for (const tid of tasks) {
    const list = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => undefined);
    if (list === undefined) return undefined;
    for (const child of list.split(' ')) if (/^\d+$/.test(child)) children.push(Number(child));
  }
  return children.sort((a, b) => a - b);
}

/** Children by walking every process's /proc/PID/stat for its parent. */
async function scannedChildren(masterPid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === masterPid) children.push(Number(pid));
      }),
  );
  return children.sort((a, b) => a - b);
}

/** True once none of `pids` still takes new connections: each has exited or is shutting down. */
export async function stoppedAccepting(pids: readonly number[]): Promise<boolean> {
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    if (cmdline !== undefined && cmdline !== '' && !cmdline.includes('shutting down')) return false;
  }
  return true;
}

/** True once every one of `pids` has exited: none is still a worker shutting down (a reused pid is not). */
export async function allExited(pids: readonly number[]): Promise<boolean> {
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    if (cmdline !== undefined && cmdline.includes('shutting down')) return false;
  }
  return true;
}

export interface ProcessStat {
  /** `R` running, `S` sleeping, `D` disk wait, `T`/`t` stopped (SIGSTOP, tracer), `Z` zombie, … */
  readonly state: string;
  /** User plus system CPU time used so far, in clock ticks: it grows while the process works. */
  readonly cpuTicks: number;
  /** Its process group. */
  readonly pgrp: number;
  /** When it started, in clock ticks after boot: a reused pid has another. */
  readonly startTime: number;
}

/** A process's state and CPU time from /proc/PID/stat; undefined when it is gone or /proc is unreadable. */
export async function processStat(pid: number): Promise<ProcessStat | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
  // cstime priority nice num_threads itrealvalue starttime …
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0] ?? '?',
    cpuTicks: Number(fields[11] ?? 0) + Number(fields[12] ?? 0),
    pgrp: Number(fields[2] ?? 0),
    startTime: Number(fields[19] ?? 0),
  };
}

/**
 * How a reload of an NGINX master ended, once it has: SIGHUP is no longer pending and the master sleeps
 * again (it reloads synchronously between two waits for signals). `took`: it started workers besides
 * `oldWorkers` (a reload that takes starts them before the master sleeps); `refused`: it did not.
 * Undefined while the reload is still under way. For a master whose log is not ours to read (the sidecar
 * pod's `nginx` container), where NGINX's own `[emerg]` line cannot say so.
 */
export async function reloadEnded(
  pid: number,
  oldWorkers: readonly number[],
): Promise<'took' | 'refused' | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  // SigPnd (this thread) and ShdPnd (the process) are hex masks of pending signals; SIGHUP is bit 0.
  const pending = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].map((m) =>
    BigInt(`0x${m[1] ?? '0'}`),
  );
  if (pending.length !== 2 || pending.some((mask) => (mask & 1n) !== 0n)) return undefined;
  if ((await processStat(pid))?.state !== 'S') return undefined;
  return (await childPids(pid)).every((worker) => oldWorkers.includes(worker)) ? 'refused' : 'took';
}
