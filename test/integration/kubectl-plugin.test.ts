// `kubectl gatehouse` (bin/kubectl-gatehouse): the same answers as the gatehouse CLI, from a controller's
// health port reached through a port-forward. Port-forwarding needs a kubelet, which the test API server
// does not have, so the second part puts a stand-in `kubectl` first on PATH: it records what the plugin
// asks for and forwards a local port to the real controller, as `kubectl port-forward` would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ingress } from '../support/fixtures.ts';
import { REPO_ROOT } from '../support/gatehouse-process.ts';
import { runCli, serveFolder, type CliResult, type ServedFolder } from '../support/integration.ts';

const PLUGIN = path.join(REPO_ROOT, 'bin', 'kubectl-gatehouse');

function plugin(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PLUGIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const shop = ingress({
  name: 'shop',
  rules: [
    { host: 'shop.example.com', paths: [{ path: '/api', pathType: 'Prefix', service: 'api', port: 80 }] },
  ],
});
const bad = ingress({
  name: 'bad',
  annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': 'forever' },
  rules: [{ host: 'bad.example.com', paths: [{ path: '/', service: 'api', port: 80 }] }],
});

describe('kubectl gatehouse', () => {
  let served: ServedFolder;
  let url: string;
  before(async () => {
    served = await serveFolder(['api'], [shop, bad]);
    url = `http://127.0.0.1:${served.gatehouse.healthzPort}`;
  });
  after(async () => {
    await served.stop();
  });

  it('prints what gatehouse status, diff and explain print', async () => {
    for (const [pluginArgs, cliArgs] of [
      [['status'], ['status']],
      [
        ['diff', '1'],
        ['diff', '-n', '1'],
      ],
      [
        [
          'explain',
          'http://shop.example.com/api/x?q=1',
          '-X',
          'POST',
          '-H',
          'X-Test: a b',
          '--source',
          '10.0.0.1',
        ],
        [
          'explain',
          'http://shop.example.com/api/x?q=1',
          '-X',
          'POST',
          '-H',
          'X-Test: a b',
          '--source',
          '10.0.0.1',
        ],
      ],
    ] as const) {
      const viaPlugin = await plugin(['--url', url, ...pluginArgs]);
      const viaCli = await runCli([...cliArgs, '--controller', url]);
      assert.equal(viaPlugin.code, 0, viaPlugin.stderr);
      assert.equal(viaPlugin.stdout, viaCli.stdout, pluginArgs.join(' '));
    }
  });

  it('lists rejected objects and endpoints, shows the config, and answers JSON', async () => {
    assert.match((await plugin(['--url', url, 'rejected'])).stdout, /^error: Ingress default\/bad: /m);
    const api = served.backends.get('api');
    assert.match(
      (await plugin(['--url', url, 'endpoints'])).stdout,
      new RegExp(`^default_api_80 .*: ${api.host}:${api.port}$`, 'm'),
    );
    assert.match((await plugin(['--url', url, 'config'])).stdout, /^# checksum [0-9a-f]{32}$/m);
    const status = JSON.parse((await plugin(['--url', url, '--json', 'status'])).stdout) as {
      serving: string;
    };
    assert.match(status.serving, /^[0-9a-f]{32}$/);
  });

  it('refuses an unknown command with its usage, and reports a controller it cannot reach', async () => {
    const unknown = await plugin(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command frobnicate[\s\S]*Usage: kubectl gatehouse/);
    const down = await plugin(['--url', 'http://127.0.0.1:1', 'status']);
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /curl: \(7\)/);
  });

  describe('through a port-forward', () => {
    let dir: string;
    let calls: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'kubectl-stand-in-'));
      calls = path.join(dir, 'calls');
      // Answers `get pods` with one pod and forwards a local port to the controller for `port-forward`.
      const standIn = `#!${process.execPath}
const fs = require('node:fs'); const net = require('node:net');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(args) + '\\n');
if (args.includes('get')) { process.stdout.write('ingress edge-gatehouse-7d9f\\n'); process.exit(0); }
if (args.includes('port-forward')) {
  fs.writeFileSync(${JSON.stringify(calls)} + '.pid', String(process.pid));
  const server = net.createServer((c) => { const up = net.connect(${served.gatehouse.healthzPort}, '127.0.0.1'); c.pipe(up); up.pipe(c); c.on('error', () => {}); up.on('error', () => {}); });
  server.listen(0, '127.0.0.1', () => process.stdout.write('Forwarding from 127.0.0.1:' + server.address().port + ' -> 10254\\n'));
} else process.exit(1);
`;
      await writeFile(path.join(dir, 'kubectl'), standIn);
      await chmod(path.join(dir, 'kubectl'), 0o755);
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('finds a running controller pod, forwards its health port, and stops the forward', async () => {
      const r = await plugin(['--context', 'prod', 'status'], {
        PATH: `${dir}:${process.env['PATH'] ?? ''}`,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^serving: +[0-9a-f]{32}/m);
      const recorded = (await readFile(calls, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
      assert.deepEqual(recorded[0], [
        '--context',
        'prod',
        'get',
        'pods',
        '--all-namespaces',
        '--selector',
        'app.kubernetes.io/name=gatehouse,app.kubernetes.io/component=controller',
        '--field-selector',
        'status.phase=Running',
        '-o',
        'jsonpath={range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\\n"}{end}',
      ]);
      const pid = Number(await readFile(`${calls}.pid`, 'utf8'));
      await new Promise((r) => setTimeout(r, 200));
      // Gone, or a zombie waiting for its reaper: either way no longer forwarding.
      const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
        (t) => /^\d+ \(.*\) (\S)/.exec(t)?.[1],
        () => 'gone',
      );
      assert.ok(state === 'gone' || state === 'Z', `the port-forward still runs (state ${state ?? '?'})`);
      assert.deepEqual(recorded[1], [
        '--context',
        'prod',
        'port-forward',
        '--namespace',
        'ingress',
        'pod/edge-gatehouse-7d9f',
        ':healthz',
      ]);
    });
  });
});
