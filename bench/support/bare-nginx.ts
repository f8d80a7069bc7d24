import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from '../../test/support/http-client.ts';

/** A bare NGINX from a config text; resolves once it answers on `port` (asked for `host`). */
export async function bareNginx(
  name: string,
  conf: (dir: string) => string,
  port: number,
  host: string,
): Promise<{ readonly pid: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `gatehouse-bench-${name}-`));
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  await writeFile(path.join(dir, 'nginx.conf'), conf(dir));
  const child: ChildProcess = spawn(
    'nginx',
    ['-p', dir, '-e', 'stderr', '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    // Its own session, as Gatehouse starts NGINX: with the kernel's autogroup scheduling, each session gets
    // an equal share of a busy machine, so an NGINX in the bench's session would be compared unfairly.
    { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  for (let i = 0; i < 100; i++) {
    if ((await request('http', port, host, '/').catch(() => undefined)) !== undefined) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The main-context lines of a bare NGINX in `dir`: one worker. */
export const common = (dir: string): string => `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
`;

/** A static NGINX answering 200 on `port`: fast enough not to be the bottleneck, unlike a Node echo. */
export function staticBackend(port: number, host: string): Promise<{ stop(): Promise<void> }> {
  return bareNginx(
    'backend',
    (dir) =>
      `${common(dir)}http { access_log off; server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } } }`,
    port,
    host,
  );
}
