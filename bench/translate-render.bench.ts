// Benchmarks, printing their figures (no pass/fail): how long translate + render take and how much memory
// they use for clusters of growing size, how long `nginx -t` and a verified reload take on real NGINX, and
// how fast a manifest edit reaches traffic through `gatehouse serve`.
// Run: npm run bench   (Node 24; needs nginx on PATH)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import type { KubernetesObject, V1Ingress, V1Secret } from '@kubernetes/client-node';
import type { Snapshot } from '../src/model/snapshot.ts';
import { reviewIngress } from '../src/webhook/review.ts';
import { NginxProcess } from '../src/nginx/nginx-process.ts';
import { render } from '../src/render/render.ts';
import { ServerBlockCache } from '../src/render/server-blocks.ts';
import { buildSnapshot } from '../src/sources/kube-objects.ts';
import { withContentOf } from '../src/sources/kube/trim.ts';
import { externalNamesWanted } from '../src/translate/external-names.ts';
import { translate, type TranslateOptions } from '../src/translate/translate.ts';
import { TranslateMemo } from '../src/translate/translate-memo.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startEchoBackend } from '../test/support/echo-backend.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  writeManifest,
} from '../test/support/fixtures.ts';
import { startGatehouse } from '../test/support/gatehouse-process.ts';
import { request } from '../test/support/http-client.ts';
import { freePort } from '../test/support/ports.ts';
import { ensureDefaultCertificate } from '../src/cli/default-certificate.ts';

// Half the hosts (the even ones, so 25 of the 50 namespaces) have TLS from their namespace's wildcard
// Secret, each shared by 1 in 50 of the hosts, as in the scale bench.
const wildcards = [await certificateFor('*.example.com'), await certificateFor('*.example.com')];

function appIngress(i: number, apiPort = 80): KubernetesObject {
  const host = `app-${i}.example.com`;
  return ingress({
    name: `app-${i}`,
    namespace: `team-${i % 50}`,
    rules: [
      {
        host,
        paths: [
          { path: '/', service: `svc-${i}`, port: 80 },
          { path: '/api', pathType: 'Prefix', service: `svc-${i}`, port: apiPort },
        ],
      },
    ],
    ...(i % 2 === 0 && { tls: [{ hosts: [host], secretName: 'wildcard' }] }),
  });
}

function cluster(ingresses: number): KubernetesObject[] {
  const objects: KubernetesObject[] = [ingressClass()];
  for (let k = 0; k < 50; k++)
    objects.push(tlsSecret('wildcard', wildcards[0] ?? { cert: '', key: '' }, `team-${k}`));
  for (let i = 0; i < ingresses; i++) {
    const ns = `team-${i % 50}`;
    objects.push(
      appIngress(i),
      ...serviceWithEndpoints(
        `svc-${i}`,
        [1, 2, 3].map((k) => ({ ip: `10.${(i >> 8) & 255}.${i & 255}.${k}`, port: 8080 })),
        { namespace: ns },
      ),
    );
  }
  return objects;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const pem = await ensureDefaultCertificate(undefined);
const options = (httpPort: number, httpsPort: number): Omit<TranslateOptions, 'excluded'> => ({
  ingressClass: 'gatehouse',
  controllerClass: 'gatehouse.dev/ingress-controller',
  watchIngressWithoutClass: false,
  defaultBackendService: undefined,
  configMap: undefined,
  listen: { httpPort, httpsPort },
  defaultCertificatePem: pem,
  defaultCertificateSecret: undefined,
});

/**
 * What `run` allocated on the heap (bytes), garbage included: each GC's before, less the previous after;
 * and its peak: the most heap in use at any point of the run (before a GC, or at its end), less the heap
 * in use when it began.
 */
function allocated<T>(run: () => T): { value: T; bytes: number; peak: number } {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  const value = run();
  const after = v8.getHeapStatistics().used_heap_size;
  let bytes = 0;
  let last = before;
  let most = after;
  for (const gc of profiler.stop().statistics) {
    bytes += gc.beforeGC.heapStatistics.usedHeapSize - last;
    last = gc.afterGC.heapStatistics.usedHeapSize;
    most = Math.max(most, gc.beforeGC.heapStatistics.usedHeapSize);
  }
  return { value, bytes: bytes + after - last, peak: most - before };
}

/** One Ingress of `cluster(n)` edited: its `/api` path goes to another port (a new object, as sources make). */
function edited(snapshot: Snapshot, i: number, port: number): Snapshot {
  const name = `app-${i}`;
  const changed = appIngress(i, port) as V1Ingress;
  return { ...snapshot, ingresses: snapshot.ingresses.map((o) => (o.metadata?.name === name ? changed : o)) };
}

/**
 * The leader's status pass echoing back: every Ingress a new copy with the same content, as KubeSource
 * caches it (sharing spec, labels and annotations with the copy before).
 */
function echoed(snapshot: Snapshot, run: number): Snapshot {
  return {
    ...snapshot,
    ingresses: snapshot.ingresses.map((o) =>
      withContentOf(o, {
        ...o,
        metadata: { ...o.metadata, resourceVersion: String(run + 2) },
        status: { loadBalancer: { ingress: [{ ip: '198.18.0.1' }] } },
      } as V1Ingress),
    ),
  };
}

/** team-0's wildcard Secret rotated (a new object with the other certificate). */
function rotated(snapshot: Snapshot, run: number): Snapshot {
  const secret = tlsSecret(
    'wildcard',
    wildcards[(run + 1) % 2] ?? { cert: '', key: '' },
    'team-0',
  ) as V1Secret;
  return {
    ...snapshot,
    secrets: snapshot.secrets.map((s) =>
      s.metadata?.namespace === 'team-0' && s.metadata.name === 'wildcard' ? secret : s,
    ),
  };
}

console.log(
  'one change (median of 3): translate + render of the whole snapshot from nothing (full), then of one\n' +
    'Ingress edited and of a wildcard Secret of 1 in 50 hosts rotated, with the server blocks of the\n' +
    "render before and translate's memo of the translate before (hosts_built: the Servers it built anew),\n" +
    'and of one Ingress edited after a status pass (every Ingress a new copy with the same content);\n' +
    'alloc = heap allocated during the build, garbage included; peak = the most heap in use during the\n' +
    'build beyond what was in use before it (the served config included, as in the controller)',
);
console.log('ingresses  build   translate_ms  render_ms  hosts_built  blocks_printed  alloc_mib  peak_mib');
for (const n of (process.env['EDIT_SIZES'] ?? '1000,5000,10000').split(',').map(Number)) {
  const snapshot = buildSnapshot(
    cluster(n).map((object) => ({ origin: 'bench', object })),
    [],
  );
  const paths = { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run', metricsLog: '/run/metrics.log' };
  const blocks = new ServerBlockCache();
  const memo = new TranslateMemo();
  const build = (s: typeof snapshot, cache: ServerBlockCache, hosts: TranslateMemo) => {
    const t0 = performance.now();
    const result = translate(s, { ...options(80, 443), excluded: new Map() }, hosts);
    const t1 = performance.now();
    const rendered = render(result.model, paths, cache);
    const renderMs = performance.now() - t1;
    return { translateMs: t1 - t0, renderMs, built: hosts.built, printed: cache.printed, result, rendered };
  };
  const kinds = ['full', 'edit', 'rotate', 'echo'] as const;
  type Row = { t: number[]; r: number[]; a: number[]; p: number[]; built: number; printed: number };
  const row = (): Row => ({ t: [], r: [], a: [], p: [], built: 0, printed: 0 });
  const rows: Record<(typeof kinds)[number], Row> = { full: row(), edit: row(), rotate: row(), echo: row() };
  // The served config (held while the next is built, as the reconciler holds it), its blocks and memo.
  const held = { served: build(snapshot, blocks, memo) };
  let current = snapshot;
  for (let run = 0; run < 3; run++) {
    for (const kind of kinds) {
      if (kind === 'edit') current = edited(current, (run * 7919) % n, 8000 + run);
      if (kind === 'rotate') current = rotated(current, run);
      if (kind === 'echo') current = edited(echoed(current, run), (run * 7919 + 1) % n, 9000 + run);
      // From nothing: new objects, so nothing translate keeps per object (parses) applies either.
      const input = kind === 'full' ? structuredClone(current) : current;
      globalThis.gc?.();
      const { value, bytes, peak } = allocated(() =>
        kind === 'full'
          ? build(input, new ServerBlockCache(), new TranslateMemo())
          : build(input, blocks, memo),
      );
      if (kind !== 'full') held.served = value;
      const figures = rows[kind];
      figures.t.push(value.translateMs);
      figures.r.push(value.renderMs);
      figures.a.push(bytes);
      figures.p.push(peak);
      figures.built = value.built;
      figures.printed = value.printed;
    }
  }
  for (const kind of kinds) {
    const { t, r, a, p, built, printed } = rows[kind];
    console.log(
      `${String(n).padStart(9)}  ${kind.padEnd(6)}  ${median(t).toFixed(0).padStart(12)}  ${median(r).toFixed(0).padStart(9)}  ${String(built).padStart(11)}  ${String(printed).padStart(14)}  ${(median(a) / 2 ** 20).toFixed(0).padStart(9)}  ${(median(p) / 2 ** 20).toFixed(0).padStart(8)}`,
    );
  }
}
if (process.env['EDIT_ONLY'] === '1') process.exit(0);

console.log('translate + render (median of 5 runs)');
console.log('ingresses  translate_ms  render_ms  conf_kib  heap_delta_mib');
for (const n of [100, 1000, 5000]) {
  const snapshot = buildSnapshot(
    cluster(n).map((object) => ({ origin: 'bench', object })),
    [],
  );
  const t: number[] = [];
  const r: number[] = [];
  let size = 0;
  let heap = 0;
  for (let run = 0; run < 5; run++) {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const result = translate(snapshot, { ...options(80, 443), excluded: new Map() });
    const t1 = performance.now();
    const rendered = render(result.model, { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run' });
    const t2 = performance.now();
    heap = Math.max(heap, process.memoryUsage().heapUsed - before);
    t.push(t1 - t0);
    r.push(t2 - t1);
    size = rendered.nginxConf.length;
  }
  console.log(
    `${String(n).padStart(9)}  ${median(t).toFixed(1).padStart(12)}  ${median(r).toFixed(1).padStart(9)}  ${(size / 1024).toFixed(0).padStart(8)}  ${(heap / 2 ** 20).toFixed(1).padStart(14)}`,
  );
}

console.log('\nallowlist of 256 ranges on one Ingress of 1,000 paths (each distinct list is one geo block)');
{
  const ranges = Array.from({ length: 256 }, (_, i) => `10.${i}.0.0/16`).join(',');
  const snapshot = buildSnapshot(
    [
      ingressClass(),
      ingress({
        name: 'locked',
        annotations: { 'nginx.ingress.kubernetes.io/allowlist-source-range': ranges },
        rules: [
          {
            host: 'locked.example.com',
            paths: Array.from({ length: 1000 }, (_, i) => ({ path: `/p${i}`, service: 'svc', port: 80 })),
          },
        ],
      }),
      ...serviceWithEndpoints('svc', [{ ip: '10.0.0.1', port: 8080 }]),
    ].map((object) => ({ origin: 'bench', object })),
    [],
  );
  const t0 = performance.now();
  const result = translate(snapshot, { ...options(80, 443), excluded: new Map() });
  const conf = render(result.model, { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run' }).nginxConf;
  const took = performance.now() - t0;
  console.log(
    `nginx.conf ${(conf.length / 1024).toFixed(0)} KiB (${conf.split('\n').length} lines), translate + render ${took.toFixed(0)} ms`,
  );
}

console.log(
  '\nadmission review of one new Ingress (median of 5): only the Ingresses sharing its hosts are translated;\n' +
    'the whole-snapshot translate it replaced is timed beside it, and so is the walk that finds the\n' +
    'ExternalName targets to resolve',
);
for (const n of [100, 1000, 10_000]) {
  const snapshot = buildSnapshot(
    cluster(n).map((object) => ({ origin: 'bench', object })),
    [],
  );
  const incoming = ingress({
    name: 'incoming',
    rules: [{ host: 'new.example.com', paths: [{ path: '/', service: 'svc-1', port: 80 }] }],
  }) as V1Ingress;
  const times: number[] = [];
  const whole: number[] = [];
  const names: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    const verdict = reviewIngress(snapshot, options(80, 443), incoming);
    const t1 = performance.now();
    translate(
      { ...snapshot, ingresses: [...snapshot.ingresses, incoming] },
      { ...options(80, 443), excluded: new Map() },
    );
    const t2 = performance.now();
    externalNamesWanted(snapshot, options(80, 443));
    names.push(performance.now() - t2);
    times.push(t1 - t0);
    whole.push(t2 - t1);
    if (!verdict.allowed) throw new Error(`bench: review denied a good Ingress: ${verdict.message}`);
  }
  console.log(
    `${String(n).padStart(6)} ingresses: review ${median(times).toFixed(1)} ms (whole snapshot ${median(whole).toFixed(1)} ms); ExternalName walk ${median(names).toFixed(1)} ms`,
  );
}

console.log('\nreal NGINX: nginx -t and a verified reload (1000 ingresses, median of 5)');
{
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-'));
  const logger = createLogger({ level: 'error', format: 'text' });
  const nginx = new NginxProcess({ binary: 'nginx', confDir: dir, runDir: path.join(dir, 'run'), logger });
  const [http, https] = [await freePort(), await freePort()];
  const snapshot = buildSnapshot(
    cluster(1000).map((object) => ({ origin: 'bench', object })),
    [],
  );
  const base = translate(snapshot, { ...options(http, https), excluded: new Map() });
  await nginx.apply(render(base.model, { confDir: dir, runDir: path.join(dir, 'run') }));
  const tests: number[] = [];
  const reloads: number[] = [];
  for (let run = 0; run < 5; run++) {
    // Change one upstream so every reload is real.
    const model = { ...base.model, global: { ...base.model.global, keepaliveTimeoutSeconds: 70 + run } };
    const rendered = render(model, { confDir: dir, runDir: path.join(dir, 'run') });
    await writeFile(path.join(dir, 'bench.conf'), rendered.nginxConf);
    const t0 = performance.now();
    await nginx.test(path.join(dir, 'bench.conf'));
    tests.push(performance.now() - t0);
    const t1 = performance.now();
    await nginx.apply(rendered); // stage, nginx -t, swap, SIGHUP, verify on the status socket
    reloads.push(performance.now() - t1);
  }
  console.log(
    `nginx -t: ${median(tests).toFixed(0)} ms; apply (test + swap + reload + verify): ${median(reloads).toFixed(0)} ms`,
  );
  await nginx.stop();
  await rm(dir, { recursive: true, force: true });
}

console.log(
  '\nconvergence: manifest edit → first request served by the new backend (gatehouse serve, median of 5)',
);
{
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-manifests-'));
  const blue = await startEchoBackend('blue');
  const green = await startEchoBackend('green');
  const write = (backend: typeof blue): Promise<string> =>
    writeManifest(dir, 'app.yaml', [
      ingressClass(),
      ingress({
        name: 'app',
        rules: [{ host: 'app.example.com', paths: [{ path: '/', service: 'app', port: 80 }] }],
      }),
      ...serviceWithEndpoints('app', [{ ip: '127.0.0.1', port: backend.port }]),
    ]);
  await write(blue);
  const gh = await startGatehouse(dir);
  const samples: number[] = [];
  for (let run = 0; run < 5; run++) {
    const target = run % 2 === 0 ? green : blue;
    const t0 = performance.now();
    await write(target);
    for (;;) {
      const reply = await request('http', gh.httpPort, 'app.example.com', '/');
      if (reply.body.includes(`"backend":"${target.name}"`)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    samples.push(performance.now() - t0);
  }
  console.log(
    `median ${median(samples).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms (debounce 100 ms included)`,
  );
  await gh.stop();
  await blue.close();
  await green.close();
  await rm(dir, { recursive: true, force: true });
}
