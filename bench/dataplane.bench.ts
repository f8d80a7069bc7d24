// Data-plane benchmark, printing figures (no pass/fail): requests per second, latency and NGINX worker CPU
// per request through Gatehouse's NGINX (the Lua balancer in the path) with its defaults (access log, traffic
// metrics, Gatehouse's proxy headers) and with each documented choice that changes the per-request cost (the
// lean profile: all of them off), against a hand-written minimal proxy config, same NGINX binary, same
// backend (a static NGINX), same run,
// loaded with wrk; beside them the mechanism's floors (the minimal config with only a Lua balancer: a fixed
// peer, then Gatehouse's balancer reading the shared dict), what no Gatehouse config can beat while endpoints
// are picked in Lua; then how fast an endpoint change is live and that it reloads nothing.
// BENCH_SECONDS (8) and BENCH_ROUNDS (3) set each wrk run's length and how many rounds are alternated.
// Run: node bench/dataplane.bench.ts   (needs nginx with Debian's Lua module, and wrk, on PATH)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { ingress, ingressClass, serviceWithEndpoints, writeManifest } from '../test/support/fixtures.ts';
import { startGatehouse } from '../test/support/gatehouse-process.ts';
import { request } from '../test/support/http-client.ts';
import { countMatches, manifestsFolder, removeFolder } from '../test/support/integration.ts';
import { freePorts } from '../test/support/ports.ts';
import { bareNginx, common, staticBackend } from './support/bare-nginx.ts';
import { fixedPeerProxy, luaBalancerProxy, minimalProxy, type ProxyTarget } from './support/proxy-floors.ts';

const HOST = 'bench.example.com';
const DURATION = process.env['BENCH_SECONDS'] ?? '8';
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? '3');

interface WrkFigures {
  rps: number;
  p50: string;
  p99: string;
  /** CPU time of the NGINX workers per request, in µs: steadier than rps on a shared machine. */
  workerUs: number;
  /** CPU time of the controller per request, in µs (it reads the traffic metrics log). */
  controllerUs: number;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
}

function workersOf(master: number): number[] {
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim();
  return children === '' ? [] : children.split(/\s+/).map(Number);
}

function wrk(port: number, master: number, controller?: number): WrkFigures {
  const workers = workersOf(master);
  const cpu = (): number => workers.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const controllerCpu = (): number => (controller === undefined ? 0 : cpuSeconds(controller));
  const before = cpu();
  const controllerBefore = controllerCpu();
  const out = spawnSync(
    'wrk',
    ['-t2', '-c32', `-d${DURATION}s`, '--latency', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`],
    { encoding: 'utf8' },
  ).stdout;
  const used = cpu() - before;
  const controllerUsed = controllerCpu() - controllerBefore;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors !== undefined) throw new Error(`bench: ${errors} failed responses on port ${port}`);
  return {
    rps,
    p50,
    p99,
    workerUs: (used / requests) * 1e6,
    controllerUs: (controllerUsed / requests) * 1e6,
  };
}

const nginxMaster = async (confDir: string): Promise<number> =>
  Number((await readFile(path.join(confDir, 'run', 'nginx.pid'), 'utf8')).trim());

const [backendPort = 0, minimalPort = 0] = await freePorts(2);
// The backend: a static NGINX answering 200 (fast enough not to be the bottleneck, unlike a Node echo).
const backend = await staticBackend(backendPort, HOST);
const target = (port: number): ProxyTarget => ({ port, host: HOST, backendPort });
// The minimal hand-written proxy config: one upstream with keep-alive, nothing else.
const minimal = await bareNginx('minimal', (d) => minimalProxy(d, target(minimalPort)), minimalPort, HOST);
// The floors of the dynamic-endpoint mechanism: the minimal config with only a Lua balancer in it, first one
// that sets a constant peer, then Gatehouse's balancer reading the shared dict (nothing else of Gatehouse).
const [fixedPort = 0, luaPort = 0] = await freePorts(2);
const floors = [
  {
    name: 'floor: minimal + balancer_by_lua setting a fixed peer',
    nginx: await bareNginx('fixed-peer', (d) => fixedPeerProxy(d, target(fixedPort)), fixedPort, HOST),
    port: fixedPort,
  },
  {
    name: "floor: minimal + Gatehouse's balancer reading the shared dict",
    nginx: await bareNginx('lua-balancer', (d) => luaBalancerProxy(d, target(luaPort)), luaPort, HOST),
    port: luaPort,
  },
];

const dir = await manifestsFolder();
const app = (config: Record<string, string>, port = backendPort): object[] => [
  ingressClass(),
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'gatehouse', namespace: 'default' },
    data: { 'worker-processes': '1', ...config },
  },
  ingress({ name: 'app', rules: [{ host: HOST, paths: [{ path: '/', service: 'app', port: 80 }] }] }),
  ...serviceWithEndpoints('app', [{ ip: '127.0.0.1', port }]),
];
await writeManifest(dir, 'app.yaml', app({}));
const quiet = await manifestsFolder();
await writeManifest(quiet, 'app.yaml', app({ 'disable-access-log': 'true' }));
// The lean profile (README "Performance"): what a user who needs the last percent switches off.
const lean = await manifestsFolder();
await writeManifest(lean, 'app.yaml', app({ 'disable-access-log': 'true', 'generate-request-id': 'false' }));
const [syslogPort = 0] = await freePorts(1);
// The defaults, then each documented choice that changes the per-request cost (README "Performance").
const variants = [
  { name: 'defaults', gh: await startGatehouse(dir, ['--configmap', 'default/gatehouse']) },
  {
    name: 'metrics log over syslog (--metrics-log-port, the sidecar pod)',
    gh: await startGatehouse(dir, [
      '--configmap',
      'default/gatehouse',
      '--metrics-log-port',
      String(syslogPort),
    ]),
  },
  {
    name: 'no traffic metrics (--enable-metrics false)',
    gh: await startGatehouse(dir, ['--configmap', 'default/gatehouse', '--enable-metrics', 'false']),
  },
  {
    name: 'no traffic metrics, no access log (disable-access-log)',
    gh: await startGatehouse(quiet, ['--configmap', 'default/gatehouse', '--enable-metrics', 'false']),
  },
  {
    name: 'lean profile: no traffic metrics, no access log, generate-request-id false',
    gh: await startGatehouse(lean, ['--configmap', 'default/gatehouse', '--enable-metrics', 'false']),
  },
];
const gh = variants[0]?.gh;
if (gh === undefined) throw new Error('no defaults');
// Everything measured against the minimal config, in the same rounds: the floors, then Gatehouse.
const measured = [
  ...floors.map((f) => ({ name: f.name, port: f.port, master: f.nginx.pid, controller: undefined })),
  ...(await Promise.all(
    variants.map(async (v) => ({
      name: v.name,
      port: v.gh.httpPort,
      master: await nginxMaster(v.gh.confDir),
      controller: v.gh.process.pid,
    })),
  )),
];

console.log(
  `data plane: wrk -t2 -c32 -d${DURATION}s, one NGINX worker each, alternating, median of ${ROUNDS}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const runs: { minimal: WrkFigures; measured: WrkFigures[] }[] = [];
for (let i = 0; i < ROUNDS; i++)
  runs.push({
    minimal: wrk(minimalPort, minimal.pid),
    measured: measured.map((t) => wrk(t.port, t.master, t.controller)),
  });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const show = (f: WrkFigures): string =>
  `${f.rps.toFixed(0)} rps (p50 ${f.p50}, p99 ${f.p99}, worker ${f.workerUs.toFixed(1)} µs/request, controller ${f.controllerUs.toFixed(1)} µs/request)`;
for (const [i, r] of runs.entries()) {
  console.log(`run ${i + 1}: minimal ${show(r.minimal)}`);
  measured.forEach((t, j) => {
    const f = r.measured[j];
    if (f !== undefined) console.log(`  ${t.name}: ${show(f)}`);
  });
}
const m = median(runs.map((r) => r.minimal.rps));
const mu = median(runs.map((r) => r.minimal.workerUs));
console.log(`median: minimal ${m.toFixed(0)} rps, worker ${mu.toFixed(1)} µs/request`);
measured.forEach((t, j) => {
  const rps = median(runs.map((r) => r.measured[j]?.rps ?? NaN));
  const us = median(runs.map((r) => r.measured[j]?.workerUs ?? NaN));
  const cu = median(runs.map((r) => r.measured[j]?.controllerUs ?? NaN));
  console.log(
    `  ${t.name}: ${rps.toFixed(0)} rps (${(rps / m).toFixed(3)}× minimal), worker ${us.toFixed(1)} µs/request (minimal's ${(mu / us).toFixed(3)}×)${t.controller === undefined ? '' : `, controller ${cu.toFixed(1)} µs/request`}`,
  );
});
for (const f of floors) await f.nginx.stop();
for (const v of variants.slice(1)) await v.gh.stop();
await removeFolder(quiet);
await removeFolder(lean);

console.log('\nendpoint change → first request answered by the new endpoint (no reload), median of 5');
const [second = 0] = await freePorts(1);
const other = await bareNginx(
  'backend2',
  (d) =>
    `${common(d)}http { access_log off; server { listen 127.0.0.1:${second}; location / { return 200 "two\\n"; } } }`,
  second,
  HOST,
);
const reloadsBefore = countMatches(gh.logs(), 'nginx reloaded');
const samples: number[] = [];
for (let i = 0; i < 5; i++) {
  const port = i % 2 === 0 ? second : backendPort;
  const want = port === second ? 'two' : 'ok';
  const t0 = performance.now();
  await writeManifest(dir, 'app.yaml', app({}, port));
  for (;;) {
    const reply = await request('http', gh.httpPort, HOST, '/');
    if (reply.body.trim() === want) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  samples.push(performance.now() - t0);
}
console.log(
  `median ${median(samples).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms (folder watcher settle + 100 ms debounce included); reloads: ${countMatches(gh.logs(), 'nginx reloaded') - reloadsBefore}`,
);
const confSize = (await readFile(path.join(gh.confDir, 'nginx.conf'), 'utf8')).length;
console.log(`nginx.conf for this one Ingress: ${confSize} bytes`);

await gh.stop();
await other.stop();
await minimal.stop();
await backend.stop();
await removeFolder(dir);
