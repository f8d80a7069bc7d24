// What the controller's own structures hold at rest, in process (no cluster, no NGINX): the scale bench's
// world (bench/support/scale-world.ts, 5 endpoints per Service) translated and rendered once, as a start
// does, then the heap in use after a full GC with the Reconciler's keeps held (translate memo, render cache,
// served result and rendered tree), less the heap with the snapshot alone.
// Run: node --expose-gc bench/resting-heap.bench.ts   (RESTING_SIZES=10000; RESTING_SNAPSHOT=<file> writes a
// heap snapshot of the held state, for scripts/heap-owners.ts)
import v8 from 'node:v8';
import { ensureDefaultCertificate } from '../src/cli/default-certificate.ts';
import { render } from '../src/render/render.ts';
import { ServerBlockCache } from '../src/render/server-blocks.ts';
import { buildSnapshot } from '../src/sources/kube-objects.ts';
import { translate } from '../src/translate/translate.ts';
import { TranslateMemo } from '../src/translate/translate-memo.ts';
import { certificateFor, ingressClass, tlsSecret } from '../test/support/fixtures.ts';
import { NAMESPACES, app, ns } from './support/scale-world.ts';

const gc = globalThis.gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const settle = (): number => {
  for (let k = 0; k < 4; k++) gc();
  return process.memoryUsage().heapUsed;
};
const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

const certificate = await certificateFor('*.example.com', 'example.com');
const pem = await ensureDefaultCertificate(undefined);
const paths = { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run', metricsLog: '/run/metrics.log' };
console.log('ingresses  snapshot_mib  held_mib  build_ms  build_cpu_ms');
for (const n of (process.env['RESTING_SIZES'] ?? '10000').split(',').map(Number)) {
  const objects = [
    ingressClass(),
    ...Array.from({ length: NAMESPACES }, (_, k) => tlsSecret('wildcard-tls', certificate, ns(k))),
  ];
  for (let i = 0; i < n; i++) objects.push(...app(i, n >= 10_000 ? 5 : 3));
  const snapshot = buildSnapshot(
    objects.map((object) => ({ origin: 'bench', object })),
    [],
  );
  objects.length = 0;
  const before = settle();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const memo = new TranslateMemo();
  const blocks = new ServerBlockCache();
  const result = translate(
    snapshot,
    {
      ingressClass: 'gatehouse',
      controllerClass: 'gatehouse.dev/ingress-controller',
      watchIngressWithoutClass: false,
      defaultBackendService: undefined,
      configMap: undefined,
      listen: { httpPort: 80, httpsPort: 443 },
      defaultCertificatePem: pem,
      defaultCertificateSecret: undefined,
      excluded: new Map(),
    },
    memo,
  );
  const rendered = render(result.model, paths, blocks);
  const buildMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const buildCpuMs = (cpu.user + cpu.system) / 1000;
  const held = { memo, blocks, result, rendered };
  const after = settle();
  console.log(
    `${String(n).padStart(9)}  ${mib(before).padStart(12)}  ${mib(after - before).padStart(8)}  ${buildMs.toFixed(0).padStart(8)}  ${buildCpuMs.toFixed(0).padStart(12)}`,
  );
  const file = process.env['RESTING_SNAPSHOT'];
  if (file !== undefined) console.log(`heap snapshot: ${v8.writeHeapSnapshot(file)}`);
  // Read after the measurement, so that V8 keeps what is measured alive until then.
  if (held.rendered.checksum === '') console.log('(empty)');
}
