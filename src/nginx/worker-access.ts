import { chmod, chown, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * NGINX's workers read some files on each request (htpasswd files), not once in the master. When the master
 * runs as root the workers run as `nobody` (NGINX's default user), so such a file must belong to that user
 * and the folders on its way must let it pass (search only: 0711, nothing can be listed). Under any other
 * user, workers and master are the same user and nothing changes.
 */
export async function letWorkersRead(confDir: string, file: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const worker = await nobody();
  if (worker === undefined) return;
  await chown(file, worker.uid, worker.gid);
  for (let dir = path.dirname(file); dir.startsWith(confDir); dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o777;
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o711);
    if (dir === confDir) break;
  }
}

/**
 * Lets the workers reach into `dir` (search only) when the master runs as root: SSL passthrough's unix
 * sockets live in the run folder, and a worker (`nobody`) connects to them. NGINX makes the sockets
 * themselves 0666; the folders on the way, up to `root`, only need the search bit.
 */
export async function letWorkersEnter(root: string, dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let d = dir; d.startsWith(root); d = path.dirname(d)) {
    const mode = (await stat(d)).mode & 0o777;
    if ((mode & 0o001) === 0) await chmod(d, mode | 0o711);
    if (d === root || d === path.dirname(d)) break;
  }
}

let cached: Promise<{ uid: number; gid: number } | undefined> | undefined;

function nobody(): Promise<{ uid: number; gid: number } | undefined> {
  cached ??= readFile('/etc/passwd', 'utf8')
    .then((passwd) => {
      const fields = passwd
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === 'nobody');
      return fields === undefined ? undefined : { uid: Number(fields[2]), gid: Number(fields[3]) };
    })
    .catch(() => undefined);
  return cached;
}
