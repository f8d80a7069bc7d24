// Load-cost benchmark, printing figures (no pass/fail): what `gatehouse serve` costs before it does any real
// work — Node, the controller's code and its libraries, a small config — and its start-up peak, for each
// controller build given, in folder mode and in cluster mode (the real test API server, one replica). The
// builds take turns in each round, so every figure stands beside the others' from the same sitting.
//   - healthy: `serve` started → /healthz 200;
//   - RSS settled (VmRSS, 3 s after NGINX serves the newest state and, in cluster mode, the leader has written
//     every Ingress's status) and peak (VmHWM);
//   - V8 heap in use and external memory then (the controller's own /metrics, no forced GC);
//   - with LOAD_EDITS=N (cluster mode), N Ingress edits after that, one at a time, each waited for until NGINX
//     reloaded: their translate+render (`buildMs` of the controller's log line) and NGINX's part (`ms`), and
//     the peak RSS (VmHWM) after them, the figure the scale bench's "controller peak RSS" reads.
// The controllers run as the image runs them (the ENV lines of docker/Dockerfile, such as NODE_OPTIONS).
// Run: npm run bench:load   (LOAD_ENTRIES=dist/cli/entry.js,dist/bundle/gatehouse.js the builds, relative
// to the repository, each optionally after environment of its own for the controller and the NGINX it
// starts, as in a shell: `LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 dist/bundle/gatehouse.js`;
// LOAD_SIZES=10,1000 Ingresses; LOAD_ROUNDS=2; LOAD_MODES=folder,cluster; LOAD_EDITS=0;
// LOAD_HEAP_SNAPSHOT=<dir>: after each settled sample, a V8 heap snapshot of the controller is written there,
// for `node scripts/heap-owners.ts <file>`).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { startClusterEnv, type ClusterEnv } from '../test/support/cluster-env.ts';
import { certificateFor, ingressClass, tlsSecret, writeManifest } from '../test/support/fixtures.ts';
import {
  REPO_ROOT,
  launchGatehouse,
  waitUntilCurrent,
  waitUntilHealthy,
  type RunningGatehouse,
} from '../test/support/gatehouse-process.ts';
import { countMatches } from '../test/support/integration.ts';
import { imageEnvironment } from './support/image-env.ts';
import { app, ns } from './support/scale-world.ts';

const ENTRIES = (process.env['LOAD_ENTRIES'] ?? 'dist/cli/entry.js,dist/bundle/gatehouse.js').split(',');
/** One LOAD_ENTRIES item: `NAME=value … path`, the build and the environment it runs with. */
function launchOf(item: string): { entry: string; env: Record<string, string> } {
  const words = item.trim().split(/\s+/);
  const file = words.pop() ?? '';
  const env = Object.fromEntries(
    words.map((w) => {
      const eq = w.indexOf('=');
      if (eq <= 0) throw new Error(`LOAD_ENTRIES: "${w}" is not NAME=value`);
      return [w.slice(0, eq), w.slice(eq + 1)];
    }),
  );
  return { entry: path.resolve(REPO_ROOT, file), env };
}
const SIZES = (process.env['LOAD_SIZES'] ?? '10,1000').split(',').map(Number);
const ROUNDS = Number(process.env['LOAD_ROUNDS'] ?? '2');
const MODES = (process.env['LOAD_MODES'] ?? 'folder,cluster').split(',');
const EDITS = Number(process.env['LOAD_EDITS'] ?? '0');
const LONG = 10 * 60_000;
const SETTLE_MS = 3000;
const HEAP_SNAPSHOT_DIR = process.env['LOAD_HEAP_SNAPSHOT'];

interface Sample {
  healthyMs: number;
  rssKiB: number;
  peakKiB: number;
  heapBytes: number;
  externalBytes: number;
  /** After LOAD_EDITS edits: each one's translate+render and NGINX ms, and the peak RSS then. */
  edits?: { buildMs: number[]; nginxMs: number[]; peakKiB: number };
}

/** As the scale bench: 3 endpoints per Service, 5 from 10,000 Ingresses on (50,000 endpoints). */
const endpointsPerService = (n: number): number => (n >= 10_000 ? 5 : 3);

/** `statusWrites`: in cluster mode, the leader's status pass (one write per Ingress) is waited for too. */
async function measure(g: RunningGatehouse, t0: number, statusWrites = 0): Promise<Sample> {
  await waitUntilHealthy(g, LONG);
  const healthyMs = performance.now() - t0;
  await waitUntilCurrent(g, LONG);
  while (countMatches(g.logs(), 'updated Ingress status') < statusWrites) await sleep(500);
  await sleep(SETTLE_MS);
  const status = await readFile(`/proc/${g.process.pid ?? 0}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  const metrics = await (await fetch(`http://127.0.0.1:${g.healthzPort}/metrics`)).text();
  const metric = (name: string): number =>
    Number(new RegExp(`^gatehouse_${name} (\\S+)`, 'm').exec(metrics)?.[1]);
  if (HEAP_SNAPSHOT_DIR !== undefined) await heapSnapshot(g, metrics);
  return {
    healthyMs,
    rssKiB: field('VmRSS'),
    peakKiB: field('VmHWM'),
    heapBytes: metric('nodejs_heap_size_used_bytes'),
    externalBytes: metric('nodejs_external_memory_bytes'),
  };
}

/** Asks the controller for a heap snapshot (SIGUSR2, see NODE_OPTIONS below) and waits until it is written. */
async function heapSnapshot(g: RunningGatehouse, metrics: string): Promise<void> {
  const dir = HEAP_SNAPSHOT_DIR ?? '';
  const pid = g.process.pid ?? 0;
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const spaces = [
    ...metrics.matchAll(/^gatehouse_nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/gm),
  ];
  console.log(
    `pid ${pid} smaps_rollup:\n${rollup}heap spaces used (MiB): ${spaces
      .map(([, space = '', bytes = '0']) => `${space} ${mib(Number(bytes))}`)
      .join(', ')}`,
  );
  const before = new Set(await readdir(dir));
  g.process.kill('SIGUSR2');
  // V8 writes the whole file on the main thread: once /healthz answers again, it is complete.
  for (;;) {
    await sleep(1000);
    const fresh = (await readdir(dir)).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    const answered = await fetch(`http://127.0.0.1:${g.healthzPort}/healthz`).then(
      () => true,
      () => false,
    );
    if (fresh.length > 0 && answered) {
      console.log(`heap snapshot: ${path.join(dir, fresh[0] ?? '')}`);
      return;
    }
  }
}

async function folderSample(entry: string, n: number): Promise<Sample> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-load-'));
  try {
    await writeManifest(dir, 'shared.yaml', shared);
    for (let i = 0; i < n; i++) await writeManifest(dir, `app-${i}.yaml`, app(i, endpointsPerService(n)));
    const t0 = performance.now();
    const g = await launchGatehouse(dir, ['--log-level', 'info'], launchOf(entry));
    try {
      return await measure(g, t0);
    } finally {
      await g.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * LOAD_EDITS edits of Ingress app-0, one at a time (each adds a host of its own), each waited for until the
 * controller's log says NGINX reloaded: that line's `buildMs` (translate + render) and `ms` (NGINX's part).
 */
async function edit(
  env: ClusterEnv,
  g: RunningGatehouse,
  n: number,
  replica: number,
): Promise<NonNullable<Sample['edits']>> {
  const buildMs: number[] = [];
  const nginxMs: number[] = [];
  for (let k = 1; k <= EDITS; k++) {
    const reloads = countMatches(g.logs(), 'nginx reloaded');
    const [ingress] = app(0, endpointsPerService(n), { editHost: `edit-${replica}-${k}.example.com` });
    await env.apply(ingress!);
    while (countMatches(g.logs(), 'nginx reloaded') === reloads) await sleep(200);
    const line =
      g
        .logs()
        .split('\n')
        .findLast((l) => l.includes('nginx reloaded')) ?? '';
    buildMs.push(Number(/"buildMs":(\d+)/.exec(line)?.[1]));
    nginxMs.push(Number(/"ms":(\d+)/.exec(line)?.[1]));
  }
  await sleep(SETTLE_MS);
  const status = await readFile(`/proc/${g.process.pid ?? 0}/status`, 'utf8');
  return { buildMs, nginxMs, peakKiB: Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1]) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
const range = (xs: readonly number[], f: (x: number) => string): string => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return f(lo) === f(hi) ? f(lo) : `${f(lo)}–${f(hi)}`;
};

/** The LOAD_EDITS figures of some samples: each edit's build and NGINX ms, and the peak after them. */
function editReport(samples: readonly Sample[]): string {
  const edits = samples.flatMap((s) => (s.edits === undefined ? [] : [s.edits]));
  if (edits.length === 0) return '';
  const ms = (x: number): string => x.toFixed(0);
  return `; ${EDITS} edits: build ${range(
    edits.flatMap((e) => e.buildMs),
    ms,
  )} ms, NGINX ${range(
    edits.flatMap((e) => e.nginxMs),
    ms,
  )} ms, peak after them ${range(
    edits.map((e) => e.peakKiB * 1024),
    mib,
  )} MiB`;
}

function report(mode: string, n: number, results: Map<string, Sample[]>): void {
  for (const [entry, samples] of results) {
    console.log(
      `${mode} ${n.toLocaleString('en')} Ingresses, ${entry}: healthy ${range(
        samples.map((s) => s.healthyMs),
        (x) => x.toFixed(0),
      )} ms; RSS settled ${range(
        samples.map((s) => s.rssKiB * 1024),
        mib,
      )} MiB, peak ${range(
        samples.map((s) => s.peakKiB * 1024),
        mib,
      )} MiB; heap in use ${range(
        samples.map((s) => s.heapBytes),
        mib,
      )} MiB, external ${range(
        samples.map((s) => s.externalBytes),
        mib,
      )} MiB${editReport(samples)}`,
    );
  }
}

async function folderRuns(n: number): Promise<void> {
  const results = new Map<string, Sample[]>(ENTRIES.map((e) => [e, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const entry of ENTRIES) results.get(entry)?.push(await folderSample(entry, n));
  report('folder', n, results);
}

async function clusterRuns(n: number): Promise<void> {
  const env = await startClusterEnv();
  try {
    const api = KubernetesObjectApi.makeApiClient(env.admin);
    for (let k = 0; k < 10; k++)
      await env.core.createNamespace({ body: { metadata: { name: `team-${k}` } } });
    for (const object of shared) await api.create(object);
    // 16 clients at a time, as the scale bench creates its objects.
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < n; i = next++)
        for (const object of app(i, endpointsPerService(n)))
          await api.create(
            object.kind === 'Service'
              ? { ...object, spec: { ...(object as { spec: object }).spec, clusterIP: 'None' } }
              : object,
          );
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const results = new Map<string, Sample[]>(ENTRIES.map((e) => [e, []]));
    let replica = 0;
    for (let round = 0; round < ROUNDS; round++)
      for (const entry of ENTRIES) {
        // A Lease of its own: each replica leads at once, as a lone controller does, and an address of its
        // own, so that each writes every Ingress's status (the leader's status pass) as the first one did.
        const id = `load-${replica++}`;
        const t0 = performance.now();
        const g = await env.gatehouse({
          podName: id,
          electionId: id,
          electionTtl: 15,
          statusArgs: ['--publish-status-address', `127.0.0.${replica}`],
          waitHealthy: false,
          extraArgs: ['--log-level', 'info'],
          ...launchOf(entry),
        });
        try {
          const sample = await measure(g, t0, n);
          if (EDITS > 0) sample.edits = await edit(env, g, n, replica);
          results.get(entry)?.push(sample);
        } finally {
          await g.stop();
        }
      }
    report('cluster', n, results);
  } finally {
    await env.stop();
  }
}

const certificate = await certificateFor('*.example.com', 'example.com');
const shared = [
  ingressClass(),
  ...Array.from({ length: 10 }, (_, k) => tlsSecret('wildcard-tls', certificate, ns(k))),
];
const imageEnv = imageEnvironment(REPO_ROOT);
if (HEAP_SNAPSHOT_DIR !== undefined)
  imageEnv['NODE_OPTIONS'] =
    `${imageEnv['NODE_OPTIONS'] ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${path.resolve(HEAP_SNAPSHOT_DIR)}`;
Object.assign(process.env, imageEnv);
console.log(
  `load cost: ${new Date().toISOString()}; ${ROUNDS} rounds; the image's ${Object.entries(imageEnv)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}; settled = ${SETTLE_MS / 1000} s after NGINX serves the newest state`,
);
for (const n of SIZES) {
  if (MODES.includes('folder')) await folderRuns(n);
  if (MODES.includes('cluster')) await clusterRuns(n);
}
