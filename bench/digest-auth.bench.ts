// Digest auth benchmark, printing figures (no pass/fail): requests per second and latency through
// Gatehouse's NGINX for the same app open, behind basic auth ({SHA} users, NGINX's cheapest hash) and behind
// digest auth (lua/gatehouse/digest.lua: a Lua access handler, an MD5 pair and a shared-dict increment per
// request). Every digest request carries a fresh answer (a nonce fetched from NGINX, nonce counts 1-20), as
// a browser's would; a replayed or stale one would fail the run. Same NGINX worker, backend and run.
// Run: node bench/digest-auth.bench.ts   (needs nginx with Debian's Lua module, and wrk, on PATH)
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  configMap,
  ingress,
  ingressClass,
  opaqueSecret,
  serviceWithEndpoints,
  writeManifest,
} from '../test/support/fixtures.ts';
import { startGatehouse } from '../test/support/gatehouse-process.ts';
import { challengeOf, digestAuthorization, htdigestLine } from '../test/support/htdigest.ts';
import { HASHES, PASSWORD, basic } from '../test/support/htpasswd.ts';
import { request } from '../test/support/http-client.ts';
import { manifestsFolder, removeFolder } from '../test/support/integration.ts';
import { freePorts } from '../test/support/ports.ts';
import { staticBackend } from './support/bare-nginx.ts';

const DURATION = Number(process.env['BENCH_SECONDS'] ?? '8');
const REALM = 'Bench';
const CONNECTIONS = 32;

const [backendPort = 0] = await freePorts(1);
const backend = await staticBackend(backendPort, 'backend');
const dir = await manifestsFolder();
const app = (name: string, annotations: Record<string, string> = {}) =>
  ingress({
    name,
    annotations,
    rules: [{ host: `${name}.example.com`, paths: [{ path: '/', service: 'app', port: 80 }] }],
  });
await writeManifest(dir, 'app.yaml', [
  ingressClass(),
  configMap({ 'worker-processes': '1' }, 'default', 'gatehouse'),
  app('open'),
  app('basic', {
    'nginx.ingress.kubernetes.io/auth-type': 'basic',
    'nginx.ingress.kubernetes.io/auth-secret': 'basic-users',
  }),
  app('digest', {
    'nginx.ingress.kubernetes.io/auth-type': 'digest',
    'nginx.ingress.kubernetes.io/auth-secret': 'digest-users',
    'nginx.ingress.kubernetes.io/auth-realm': REALM,
  }),
  opaqueSecret('basic-users', { auth: `alice:${HASHES.sha}\n` }),
  opaqueSecret('digest-users', { auth: `${htdigestLine('alice', REALM, PASSWORD)}\n` }),
  ...serviceWithEndpoints('app', [{ ip: '127.0.0.1', port: backendPort }]),
]);
const gh = await startGatehouse(dir, ['--configmap', 'default/gatehouse', '--enable-metrics', 'false']);
const port = gh.httpPort;

/** Answers for `count` digest requests: fresh nonces (60 s to live), each used for nonce counts 1-20. */
async function digestAnswers(count: number): Promise<string[]> {
  const nonces: string[] = [];
  while (nonces.length * 20 < count) {
    const batch = await Promise.all(
      Array.from({ length: 32 }, () => request('http', port, 'digest.example.com', '/')),
    );
    nonces.push(...batch.map((r) => challengeOf(r.headers['www-authenticate'])['nonce'] ?? ''));
  }
  return nonces.flatMap((nonce) =>
    Array.from({ length: 20 }, (_, i) =>
      digestAuthorization({ user: 'alice', password: PASSWORD, realm: REALM, nonce, uri: '/', nc: i + 1 }),
    ),
  );
}

const script = path.join(dir, 'answers.lua');
const answersFile = path.join(dir, 'answers.txt');
await writeFile(
  script,
  `local answers = {}
for line in io.lines("${answersFile}") do answers[#answers + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/", { ["Authorization"] = answers[i] })
end
`,
);

interface WrkFigures {
  rps: number;
  p50: string;
  p99: string;
}

/** wrk sending the lines of `answers` as Authorization headers, one per request: the same client work for all. */
async function wrk(host: string, answers: readonly string[]): Promise<WrkFigures> {
  await writeFile(answersFile, answers.join('\n') + '\n');
  const out = spawnSync(
    'wrk',
    [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${DURATION}s`,
      '--latency',
      '-H',
      `Host: ${host}`,
      '-s',
      script,
      `http://127.0.0.1:${port}/`,
    ],
    { encoding: 'utf8' },
  ).stdout;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors !== undefined) throw new Error(`bench: ${errors} failed responses for ${host}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?',
    p99: /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?',
  };
}

console.log(
  `digest auth: wrk -t1 -c${CONNECTIONS} -d${DURATION}s, one NGINX worker, alternating, median of 3`,
);
const runs: { open: WrkFigures; basic: WrkFigures; digest: WrkFigures }[] = [];
// Twice what the open app serves: a missing answer would be a 401 and fail the run.
let count = 40_000 * DURATION;
for (let i = 0; i < 3; i++) {
  const basicAnswers = Array.from({ length: count }, () => basic('alice', PASSWORD));
  const open = await wrk('open.example.com', basicAnswers);
  const basicAuth = await wrk('basic.example.com', basicAnswers);
  const digest = await wrk('digest.example.com', await digestAnswers(count));
  runs.push({ open, basic: basicAuth, digest });
  count = Math.ceil(open.rps * DURATION * 2);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const show = (f: WrkFigures): string => `${f.rps.toFixed(0)} rps (p50 ${f.p50}, p99 ${f.p99})`;
for (const [i, r] of runs.entries())
  console.log(`run ${i + 1}: open ${show(r.open)}; basic {SHA} ${show(r.basic)}; digest ${show(r.digest)}`);
const o = median(runs.map((r) => r.open.rps));
const b = median(runs.map((r) => r.basic.rps));
const d = median(runs.map((r) => r.digest.rps));
console.log(
  `median: open ${o.toFixed(0)} rps; basic ${b.toFixed(0)} rps (${(b / o).toFixed(3)}×); digest ${d.toFixed(0)} rps (${(d / o).toFixed(3)}×)`,
);
await gh.stop();
await backend.stop();
await removeFolder(dir);
