// Benchmark, printing figures (no pass/fail): how many metrics log lines per second one core of the
// controller absorbs. First the counting alone (parse + aggregate, from the bytes as the receiver hands
// them over), then end to end through the metrics log file (serve's default: NGINX appends 64 KiB blocks,
// the controller reads them as the file grows), then through the loopback syslog socket, with a separate
// sender process offering lines at fixed rates: what is counted, what is dropped (and counted as dropped),
// and the controller's CPU per line.
// Run: npm run bench
import { fork } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Route } from '../src/model/routes.ts';
import { TrafficLogReceiver } from '../src/observability/traffic-log-receiver.ts';
import { TrafficMetrics } from '../src/observability/traffic-metrics.ts';
import { metricsLine } from '../test/support/metrics-line.ts';
import { parseMetrics } from '../test/support/prometheus.ts';

const ROUTES = 2000;
const CHECKSUM = 'bench0000000000000000000000000000';
const routes: Route[] = Array.from({ length: ROUTES }, (_, i) => ({
  host: `app-${i % 500}.example.com`,
  namespace: `team-${i % 50}`,
  ingress: `app-${i % 500}`,
  path: `/api-${i}`,
  pathType: 'Prefix',
  field: 'spec.rules[0].http.paths[0]',
  service: `svc-${i % 500}`,
  servicePort: '80',
}));

/** A realistic mix: mostly GET 2xx, some POST, 4xx and 5xx, one try per request, a few TLS. */
function messages(count: number, syslog = true): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const status = i % 20 === 0 ? '503' : i % 10 === 0 ? '404' : '200';
    const line = metricsLine(
      {
        c: CHECKSUM,
        r: String((i * 7919) % ROUTES),
        m: i % 5 === 0 ? 'POST' : 'GET',
        s: status,
        rt: ((i % 97) / 1000).toFixed(3),
        rl: String(200 + (i % 300)),
        bs: String(400 + (i % 3000)),
        us: status === '503' ? '-' : status,
        uc: status === '503' ? '-' : '0.001',
        uh: status === '503' ? '-' : '0.004',
        ur: status === '503' ? '-' : '0.005',
        p: 'HTTP/1.1',
        t: i % 3 === 0 ? 'TLSv1.3' : '-',
        sr: '.',
        cr: i % 10 === 0 ? '1' : '7',
      },
      syslog,
    );
    out.push(line);
  }
  return out;
}

function fresh(): { registry: Registry; metrics: TrafficMetrics } {
  const registry = new Registry();
  const metrics = new TrafficMetrics();
  metrics.addRoutes(CHECKSUM, routes);
  return { registry, metrics };
}

// 1. Counting alone, in this process, from the bytes as the receiver hands them over.
{
  const lines = messages(200_000, false).map((l) => Buffer.from(l));
  for (let round = 1; round <= 3; round++) {
    const { metrics } = fresh();
    for (const l of lines.slice(0, 20_000)) metrics.recordLine(l); // warm up
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const l of lines) metrics.recordLine(l);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    console.log(
      `counting alone, round ${round}: ${lines.length} lines over ${ROUTES} routes in ${seconds.toFixed(2)} s → ${Math.round(lines.length / cpuSeconds).toLocaleString('en')} lines/s per core (${((cpuSeconds / lines.length) * 1e6).toFixed(2)} µs CPU a line)`,
    );
  }
}

// 2. End to end through the metrics log file: 64 KiB blocks appended, then read, queued and counted.
{
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-metrics-bench-'));
  const file = path.join(dir, 'metrics.log');
  const text = Buffer.from(`${messages(200_000, false).join('\n')}\n`);
  for (let round = 1; round <= 3; round++) {
    const { registry, metrics } = fresh();
    const receiver = await TrafficLogReceiver.start(metrics, registry, { file });
    for (let at = 0; at < text.length; at += 65536) appendFileSync(file, text.subarray(at, at + 65536));
    const cpu = process.cpuUsage();
    await receiver.drained();
    const used = process.cpuUsage(cpu);
    const counted = parseMetrics(metrics.exposition()).find(
      (s) => s.name === 'gatehouse_traffic_log_lines_total' && s.labels['outcome'] === 'counted',
    )?.value;
    console.log(
      `through the file, round ${round}: ${counted} lines counted, controller CPU ${((used.user + used.system) / 200_000).toFixed(2)} µs a line`,
    );
    await receiver.close();
  }
  rmSync(dir, { recursive: true });
}

// 3. End to end through the socket, from a sender process at fixed offered rates.
const SENDER = `
const dgram = require('node:dgram');
const [port, rate, seconds] = process.argv.slice(1).map(Number);
process.once('message', (lines) => {
const s = dgram.createSocket('udp4');
const total = rate * seconds;
let sent = 0;
const started = Date.now();
function tick() {
  const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
  while (sent < due) { s.send(lines[sent % lines.length], port, '127.0.0.1'); sent++; }
  if (sent < total) setTimeout(tick, 1); else setTimeout(() => { s.close(); process.send(sent); process.disconnect(); }, 200);
}
tick();
});
`;

for (const rate of [10_000, 25_000, 50_000, 100_000]) {
  const { registry, metrics } = fresh();
  const receiver = await TrafficLogReceiver.start(metrics, registry);
  const port = Number(/:(\d+),/.exec(receiver.target)?.[1]);
  const seconds = 4;
  const cpu = process.cpuUsage();
  const sent = await new Promise<number>((resolve, reject) => {
    const child = fork('-e', [SENDER, String(port), String(rate), String(seconds)], { execArgv: [] });
    child.send(messages(5000));
    child.on('message', (n) => resolve(Number(n)));
    child.on('error', reject);
  });
  await receiver.drained();
  const used = process.cpuUsage(cpu);
  const samples = parseMetrics(`${await registry.metrics()}${metrics.exposition()}`);
  const value = (name: string, label: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(label).every(([k, v]) => s.labels[k] === v))
      ?.value ?? 0;
  const counted = value('gatehouse_traffic_log_lines_total', { outcome: 'counted' });
  const queueFull = value('gatehouse_traffic_log_dropped_total', { reason: 'queue_full' });
  const socket = value('gatehouse_traffic_log_dropped_total', { reason: 'socket' });
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `offered ${rate.toLocaleString('en')} lines/s for ${seconds} s: sent ${sent}, counted ${counted}, dropped ${queueFull} (queue full) + ${socket} (socket), lost uncounted ${sent - counted - queueFull - socket}; controller CPU ${cpuSeconds.toFixed(2)} s → ${Math.round(counted / cpuSeconds).toLocaleString('en')} lines per CPU-second`,
  );
  await receiver.close();
}
