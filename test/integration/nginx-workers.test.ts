import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childPids, stoppedAccepting } from '../../src/nginx/workers.ts';
import { eventually } from '../support/http-client.ts';
import { freePort } from '../support/ports.ts';

// Reload verification waits until old workers stop accepting; this checks that it can tell, on real NGINX.
describe('NGINX workers across a reload', () => {
  let dir = '';
  let master: ReturnType<typeof spawn> | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-workers-'));
    await mkdir(path.join(dir, 'tmp'));
    const port = await freePort();
    await writeFile(
      path.join(dir, 'nginx.conf'),
      `worker_processes 2;\npid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/tmp;\n  proxy_temp_path ${dir}/tmp;\n  fastcgi_temp_path ${dir}/tmp;\n  uwsgi_temp_path ${dir}/tmp;\n  scgi_temp_path ${dir}/tmp;\n  access_log off;\n  server { listen 127.0.0.1:${port}; return 204; }\n}\n`,
    );
    master = spawn(
      'nginx',
      ['-p', dir, '-e', 'stderr', '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      {
        stdio: 'ignore',
      },
    );
  });

  after(async () => {
    master?.kill('SIGQUIT');
    await new Promise((resolve) => master?.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the workers, sees them accepting, and sees them stop after SIGHUP while new ones start', async () => {
    const pid = master!.pid!;
    const workers = await eventually(
      () => childPids(pid),
      (pids) => pids.length === 2,
    );
    assert.equal(workers.length, 2);
    assert.equal(await stoppedAccepting(workers), false, 'running workers accept connections');
    master!.kill('SIGHUP');
    assert.equal(
      await eventually(
        () => stoppedAccepting(workers),
        (stopped) => stopped,
      ),
      true,
    );
    const fresh = await eventually(
      () => childPids(pid),
      (pids) => pids.filter((p) => !workers.includes(p)).length === 2,
    );
    assert.equal(await stoppedAccepting(fresh.filter((p) => !workers.includes(p))), false);
  });
});
