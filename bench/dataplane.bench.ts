// Data-plane benchmark, printing figures (no pass/fail): requests per second and latency through
// Gatehouse's NGINX (the Lua balancer in the path, access log on, Gatehouse's proxy headers) against a
// hand-written minimal proxy config, same NGINX binary, same backend (a static NGINX), same run, loaded
// with wrk; then how fast an endpoint change is live and that it reloads nothing.
// Run: node bench/dataplane.bench.ts   (needs nginx with Debian's Lua module, and wrk, on PATH)
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ingress, ingressClass, serviceWithEndpoints, writeManifest } from '../test/support/fixtures.ts';
import { startGatehouse } from '../test/support/gatehouse-process.ts';
import { request } from '../test/support/http-client.ts';
import { countMatches, manifestsFolder, removeFolder } from '../test/support/integration.ts';
import { freePorts } from '../test/support/ports.ts';
import { bareNginx, common, staticBackend } from './support/bare-nginx.ts';

const HOST = 'bench.example.com';
const DURATION = process.env['BENCH_SECONDS'] ?? '8';

interface WrkFigures {
  rps: number;
  p50: string;
  p99: string;
}

function wrk(port: number): WrkFigures {
  const out = spawnSync(
    'wrk',
    ['-t2', '-c32', `-d${DURATION}s`, '--latency', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`],
    { encoding: 'utf8' },
  ).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors !== undefined) throw new Error(`bench: ${errors} failed responses on port ${port}`);
  return { rps, p50, p99 };
}

const [backendPort = 0, minimalPort = 0] = await freePorts(2);
// The backend: a static NGINX answering 200 (fast enough not to be the bottleneck, unlike a Node echo).
const backend = await staticBackend(backendPort, HOST);
// The minimal hand-written proxy config: one upstream with keep-alive, nothing else.
const minimal = await bareNginx(
  'minimal',
  (dir) => `${common(dir)}http {
  access_log off;
  client_body_temp_path ${dir}/tmp/client; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  upstream app { server 127.0.0.1:${backendPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${minimalPort};
    server_name ${HOST};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`,
  minimalPort,
  HOST,
);

const dir = await manifestsFolder();
const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'gatehouse', namespace: 'default' },
  data: { 'worker-processes': '1' },
};
await writeManifest(dir, 'app.yaml', [
  ingressClass(),
  configMap,
  ingress({ name: 'app', rules: [{ host: HOST, paths: [{ path: '/', service: 'app', port: 80 }] }] }),
  ...serviceWithEndpoints('app', [{ ip: '127.0.0.1', port: backendPort }]),
]);
const gh = await startGatehouse(dir, ['--configmap', 'default/gatehouse']);
// The same, without the per-Ingress traffic metrics (each request then also goes to a metrics log the
// controller reads on the same CPUs): what the Lua balancer and the proxy headers cost on their own.
const bare = await startGatehouse(dir, ['--configmap', 'default/gatehouse', '--enable-metrics', 'false']);

console.log(`data plane: wrk -t2 -c32 -d${DURATION}s, one NGINX worker each, alternating, median of 3`);
const runs: { minimal: WrkFigures; gatehouse: WrkFigures; noMetrics: WrkFigures }[] = [];
for (let i = 0; i < 3; i++)
  runs.push({ minimal: wrk(minimalPort), gatehouse: wrk(gh.httpPort), noMetrics: wrk(bare.httpPort) });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const show = (f: WrkFigures): string => `${f.rps.toFixed(0)} rps (p50 ${f.p50}, p99 ${f.p99})`;
for (const [i, r] of runs.entries())
  console.log(
    `run ${i + 1}: minimal ${show(r.minimal)}; gatehouse ${show(r.gatehouse)}; gatehouse without traffic metrics ${show(r.noMetrics)}`,
  );
const m = median(runs.map((r) => r.minimal.rps));
const g = median(runs.map((r) => r.gatehouse.rps));
const n = median(runs.map((r) => r.noMetrics.rps));
console.log(
  `median: minimal ${m.toFixed(0)} rps; gatehouse ${g.toFixed(0)} rps (${(g / m).toFixed(3)}×); without traffic metrics ${n.toFixed(0)} rps (${(n / m).toFixed(3)}×)`,
);
await bare.stop();

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
  await writeManifest(dir, 'app.yaml', [
    ingressClass(),
    configMap,
    ingress({ name: 'app', rules: [{ host: HOST, paths: [{ path: '/', service: 'app', port: 80 }] }] }),
    ...serviceWithEndpoints('app', [{ ip: '127.0.0.1', port }]),
  ]);
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
