import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from './gatehouse-process.ts';

/**
 * podman for the image and pod tests: engine settings from docker/containers.conf, the image built once per
 * test process by scripts/build-image.sh, containers named per test run and removed by `cleanup()`.
 */

export const CONTAINERS_CONF = path.join(REPO_ROOT, 'docker', 'containers.conf');
/**
 * The image the tests build and run: one per checkout (podman's storage is the machine's), so that tests
 * in two worktrees never run each other's image.
 */
export const TEST_IMAGE = `localhost/gatehouse:test-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}`;
const ENV = { ...process.env, CONTAINERS_CONF, GATEHOUSE_IMAGE: TEST_IMAGE };

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: REPO_ROOT, env: ENV, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
      },
    );
  });
}

export function podman(args: readonly string[], timeoutMs?: number): Promise<Run> {
  return run('podman', args, timeoutMs);
}

/** podman, failing the test with its stderr on a non-zero exit; returns stdout. */
export async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/**
 * Why podman cannot run containers here, or undefined when it can. The image tests skip with this reason
 * (printed by the test runner) rather than pass silently; scripts/setup.sh test installs podman.
 */
export function podmanUnavailable(): string | undefined {
  const version = spawnSync('podman', ['--version'], { env: ENV, encoding: 'utf8' });
  if (version.error !== undefined || version.status !== 0)
    return 'podman is not installed: run `scripts/setup.sh test` (installs podman, runc and debootstrap)';
  if (process.getuid?.() !== 0) return 'the image tests run podman as root, as scripts/setup.sh test does';
  const info = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], {
    env: ENV,
    encoding: 'utf8',
  });
  if (info.status !== 0)
    return `podman cannot run here: ${info.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return undefined;
}

/**
 * Why `podman kube play` cannot run the chart's pod here, or undefined when it can: on top of podman, a pod
 * with a shared process namespace needs podman's pause process, catatonit.
 */
export function podUnavailable(): string | undefined {
  const podmanMissing = podmanUnavailable();
  if (podmanMissing !== undefined) return podmanMissing;
  const catatonit = spawnSync('catatonit', ['--version'], { env: ENV, encoding: 'utf8' });
  if (catatonit.error !== undefined)
    return 'catatonit (podman’s pod init) is not installed: run `scripts/setup.sh test`';
  return undefined;
}

let built: Promise<string> | undefined;

/** Builds (or finds up to date in podman's cache) the Gatehouse image; its name. Once per test process. */
export function gatehouseImage(): Promise<string> {
  built ??= run('bash', [path.join(REPO_ROOT, 'scripts', 'build-image.sh')], 15 * 60_000).then((r) => {
    if (r.code !== 0) throw new Error(`scripts/build-image.sh failed:\n${r.stderr}`);
    const name = r.stdout.trim().split('\n').at(-1);
    if (name === undefined || name === '') throw new Error('scripts/build-image.sh printed no image name');
    return name;
  });
  return built;
}

/** Container names handed out by `containerName`, removed by `cleanup`. */
const containers = new Set<string>();

/** A container name unique to this test run. */
export function containerName(what: string): string {
  const name = `gatehouse-test-${what}-${randomBytes(4).toString('hex')}`;
  containers.add(name);
  return name;
}

/** Removes every container this process named (running or not). */
export async function cleanup(): Promise<void> {
  const names = [...containers];
  containers.clear();
  if (names.length > 0) await podman(['rm', '--force', '--time', '0', '--ignore', ...names]);
}

/** The container's processes as PID 1 sees them: pid, ppid, state letter, uid and command line. */
export interface ContainerProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly uid: number;
  readonly cmdline: string;
}

/** Lists the processes inside a running container from its /proc (the image has no ps). */
export async function containerProcesses(name: string): Promise<ContainerProcess[]> {
  // One line per process: "<stat>\t<real uid>\t<cmdline>"; processes that vanish meanwhile are skipped.
  const script =
    'for d in /proc/[0-9]*; do s=$(cat $d/stat 2>/dev/null) || continue; ' +
    'u=$(sed -n "s/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p" $d/status 2>/dev/null); ' +
    'c=$(tr "\\0" " " < $d/cmdline 2>/dev/null); ' +
    'printf "%s\\t%s\\t%s\\n" "$s" "$u" "$c"; done';
  const out = await podmanOk(['exec', name, 'sh', '-c', script]);
  const list: ContainerProcess[] = [];
  for (const line of out.split('\n')) {
    const [stat = '', uid = '', cmdline = ''] = line.split('\t');
    const m = /^(\d+) \(.*\) (\S) (\d+)/s.exec(stat);
    if (m === null) continue;
    list.push({
      pid: Number(m[1]),
      state: m[2] ?? '',
      ppid: Number(m[3]),
      uid: Number(uid),
      cmdline: cmdline.trim(),
    });
  }
  // The shell that listed them is not one of the container's own.
  return list.filter((p) => !p.cmdline.startsWith('sh -c for d in'));
}
