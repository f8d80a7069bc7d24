// The image itself, built by scripts/build-image.sh and run with podman as the chart runs it: uid 101, a
// read-only root filesystem, writable emptyDir-like mounts only at /var/lib/gatehouse and /tmp, no
// capabilities, no privilege escalation, the host's network (containers listen on loopback only).
// Without a working podman these tests are skipped and the reason is printed; scripts/setup.sh test
// installs it, so on the project's machines they run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { ingress, ingressClass, serviceWithEndpoints, writeManifest } from '../support/fixtures.ts';
import { REPO_ROOT } from '../support/gatehouse-process.ts';
import { eventually } from '../support/http-client.ts';
import { served } from '../support/integration.ts';
import {
  cleanup,
  containerName,
  containerProcesses,
  gatehouseImage,
  podman,
  podmanOk,
  podmanUnavailable,
} from '../support/podman.ts';
import { freePorts } from '../support/ports.ts';

const unavailable = podmanUnavailable();
if (unavailable !== undefined) console.log(`# image tests skipped: ${unavailable}`);

/** What the chart's pod gives the container: read-only root, two writable tmpfs, nothing else. */
const LOCKED_DOWN = [
  '--network=host',
  '--read-only',
  '--read-only-tmpfs=false',
  '--tmpfs=/var/lib/gatehouse:rw,mode=0700,U',
  '--tmpfs=/tmp:rw,mode=1777',
  '--cap-drop=ALL',
  '--security-opt=no-new-privileges',
];

void describe('the Gatehouse image', { skip: unavailable ?? false }, () => {
  let image = '';
  let manifests = '';
  let backend: EchoBackend;

  before(async () => {
    image = await gatehouseImage();
    backend = await startEchoBackend('app');
    manifests = await mkdtemp(path.join(tmpdir(), 'gatehouse-image-'));
    await writeManifest(manifests, 'app.yaml', [
      ingressClass(),
      ingress({
        name: 'app',
        rules: [{ host: 'app.example.com', paths: [{ path: '/', service: 'app', port: 80 }] }],
      }),
      ...serviceWithEndpoints('app', [{ ip: backend.host, port: backend.port }]),
    ]);
    // uid 101 in the container reads the folder.
    await chmod(manifests, 0o755);
    await chmod(path.join(manifests, 'app.yaml'), 0o644);
  });
  after(async () => {
    await cleanup();
    await backend.close();
    await rm(manifests, { recursive: true, force: true });
  });

  /** Starts `gatehouse serve --manifests` in a locked-down container; resolves once /healthz says 200. */
  async function serve(what: string, extra: readonly string[] = []): Promise<Served> {
    const name = containerName(what);
    const [http = 0, https = 0, healthz = 0] = await freePorts(3);
    await podmanOk([
      'run',
      '--detach',
      `--name=${name}`,
      ...LOCKED_DOWN,
      `--volume=${manifests}:/manifests:ro`,
      ...extra,
      image,
      'serve',
      '--manifests=/manifests',
      `--http-port=${http}`,
      `--https-port=${https}`,
      `--healthz-port=${healthz}`,
      '--conf-dir=/var/lib/gatehouse',
    ]);
    const healthy = await eventually(
      () => fetch(`http://127.0.0.1:${healthz}/healthz`).then((r) => r.status),
      (s) => s === 200,
      30_000,
    ).catch(() => 0);
    if (healthy !== 200) {
      const logs = await podman(['logs', name]);
      assert.fail(`the container never became healthy:\n${logs.stderr}${logs.stdout}`);
    }
    return { name, http, healthz };
  }

  void it('is labelled, runs as uid 101 and starts through tini', async () => {
    const inspect = JSON.parse(await podmanOk(['image', 'inspect', image])) as {
      Config: { User: string; Entrypoint: string[]; Labels: Record<string, string> };
    }[];
    const config = inspect[0]?.Config;
    assert.ok(config);
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    const labels = config.Labels;
    assert.equal(labels['org.opencontainers.image.title'], 'gatehouse');
    assert.equal(labels['org.opencontainers.image.version'], pkg.version);
    assert.equal(labels['org.opencontainers.image.licenses'], pkg.license);
    assert.match(labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}(-dirty)?$/);
    assert.ok((labels['org.opencontainers.image.description'] ?? '') !== '');
    assert.equal(config.User, '101:101');
    assert.deepEqual(config.Entrypoint.slice(0, 2), ['/usr/bin/tini', '--']);
  });

  void it('has NGINX and its modules from the package list scripts/setup.sh installs from', async () => {
    const packages = (await readFile(path.join(REPO_ROOT, 'scripts', 'nginx-packages.txt'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(packages.includes('nginx'), packages.join(' '));
    const out = await podmanOk([
      'run',
      '--rm',
      '--entrypoint=dpkg-query',
      image,
      '--show',
      '--showformat=${Package} ${db:Status-Status}\n',
      ...packages,
    ]);
    assert.deepEqual(out.trim().split('\n').sort(), packages.map((p) => `${p} installed`).sort());
  });

  void it('runs only programs uid 101 may execute but not read, so their processes are non-dumpable', async () => {
    // In the sidecar pod NGINX shares the process namespace and uid 101 with the controller: a dumpable
    // controller process would hand it the ServiceAccount token through /proc/<pid>/root.
    const r = await podman([
      'run',
      '--rm',
      ...LOCKED_DOWN,
      '--entrypoint=sh',
      image,
      '-c',
      'for b in /usr/bin/tini /usr/local/bin/node /usr/sbin/nginx; do [ -x "$b" ] && [ ! -r "$b" ] || echo "readable: $b"; done; ' +
        'node -e "setTimeout(() => {}, 5000)" & sleep 1; cat /proc/$!/environ',
    ]);
    assert.doesNotMatch(r.stdout, /readable/);
    assert.match(r.stderr, /cat: \/proc\/\d+\/environ: Permission denied/);
  });

  void it('serves a manifests folder as uid 101 on a read-only root filesystem without capabilities', async () => {
    const c = await serve('serve');
    assert.equal(await served('http', c.http, 'app.example.com', '/'), '200 app');

    const processes = await containerProcesses(c.name);
    assert.deepEqual([...new Set(processes.map((p) => p.uid))], [101], JSON.stringify(processes));
    assert.match(processes.find((p) => p.pid === 1)?.cmdline ?? '', /^\/usr\/bin\/tini -- node /);
    assert.ok(processes.some((p) => p.cmdline.startsWith('nginx: master process')));
    assert.ok(processes.some((p) => p.cmdline.startsWith('nginx: worker process')));

    const status = await podmanOk(['exec', c.name, 'grep', '-E', '^(CapEff|NoNewPrivs)', '/proc/1/status']);
    assert.match(status, /CapEff:\s+0{16}/);
    assert.match(status, /NoNewPrivs:\s+1/);
    for (const target of ['/app/dist/x', '/etc/nginx/x', '/usr/sbin/x']) {
      const touch = await podman(['exec', c.name, 'touch', target]);
      assert.notEqual(touch.code, 0, `${target} is writable`);
      assert.match(touch.stderr, /Read-only file system/);
    }
  });

  void it('renders a config inside the image that the image’s nginx -t accepts', async () => {
    const r = await podman([
      'run',
      '--rm',
      ...LOCKED_DOWN,
      `--volume=${manifests}:/manifests:ro`,
      '--entrypoint=sh',
      image,
      '-c',
      // Ports above 1023: uid 101 has no capability to bind lower ones (the chart's pod sets a sysctl).
      'node /app/dist/bundle/gatehouse.js render --manifests /manifests --out /tmp/out --http-port 8080 --https-port 8443' +
        ' && nginx -t -c /tmp/out/nginx.conf',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /nginx: configuration file \/tmp\/out\/nginx.conf test is successful/);
  });

  void it('reaps the workers of a killed NGINX master: tini is PID 1', async () => {
    const c = await serve('reap');
    const before = await containerProcesses(c.name);
    const master = before.find((p) => p.cmdline.startsWith('nginx: master process'));
    assert.ok(master);
    const oldWorkers = before.filter((p) => p.ppid === master.pid).map((p) => p.pid);
    assert.ok(oldWorkers.length > 0);
    await podmanOk(['exec', c.name, 'sh', '-c', `kill -KILL ${master.pid}`]);

    // The controller restarts NGINX and tells the orphaned workers to finish; they then exit, and only an
    // init that reaps orphans keeps them from staying behind as zombies.
    const after = await eventually(
      () => containerProcesses(c.name),
      (list) =>
        list.some((p) => p.cmdline.startsWith('nginx: master process') && p.pid !== master.pid) &&
        !list.some((p) => oldWorkers.includes(p.pid)),
      20_000,
    );
    assert.deepEqual(
      after.filter((p) => oldWorkers.includes(p.pid)),
      [],
      'the old workers are gone (not left as zombies)',
    );
    assert.deepEqual(
      after.filter((p) => p.state === 'Z'),
      [],
    );
    assert.equal(await served('http', c.http, 'app.example.com', '/'), '200 app');
  });

  void it('stops gracefully on SIGTERM, passed on by tini', async () => {
    const c = await serve('stop');
    const started = Date.now();
    await podmanOk(['stop', '--time=20', c.name]);
    const took = Date.now() - started;
    const state = await podmanOk(['inspect', c.name, '--format', '{{.State.ExitCode}}']);
    assert.equal(state.trim(), '0');
    const logs = await podman(['logs', c.name]);
    assert.match(logs.stderr + logs.stdout, /received SIGTERM[\s\S]*stopped/);
    assert.ok(took < 15_000, `stopping took ${took} ms`);
  });
});

interface Served {
  readonly name: string;
  readonly http: number;
  readonly healthz: number;
}
