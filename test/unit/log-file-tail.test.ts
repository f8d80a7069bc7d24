import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { tailLogFile } from '../../src/observability/log-file-tail.ts';
import { TrafficLogReceiver } from '../../src/observability/traffic-log-receiver.ts';
import { TrafficMetrics } from '../../src/observability/traffic-metrics.ts';
import { metricsLine } from '../support/metrics-line.ts';
import { parseMetrics, valueOf } from '../support/prometheus.ts';

const LINE = metricsLine({ c: 'c', r: '0', us: '-', uc: '-', uh: '-', ur: '-' }, false);

async function folder(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'gatehouse-tail-'));
}

// The metrics log as a file NGINX appends to in blocks: the controller reads each line once, whole, and
// the file's disk use stays bounded while NGINX keeps appending.
describe('a log file read as it grows', () => {
  it('starts at the end, and hands out each line once it is complete', async () => {
    const dir = await folder();
    const file = path.join(dir, 'metrics.log');
    await writeFile(file, 'written before the controller started\n');
    const lines: string[] = [];
    const tail = await tailLogFile(file, (l) => lines.push(l.toString()) > 0, { pollMs: 60_000 });
    await appendFile(file, 'one\ntw');
    await tail.poll();
    assert.deepEqual(lines, ['one']);
    await appendFile(file, 'o\nthree\n');
    await tail.poll();
    assert.deepEqual(lines, ['one', 'two', 'three']);
    await tail.close();
    await rm(dir, { recursive: true });
  });

  // ext4 and XFS cut the read part off the front (the file shrinks); tmpfs punches it out (sparse file).
  for (const fs of [tmpdir(), '/dev/shm'].filter((d) => existsSync(d))) {
    it(`gives back the disk space of what it read, and loses nothing appended meanwhile (${fs})`, async () => {
      const dir = await mkdtemp(path.join(fs, 'gatehouse-tail-'));
      const file = path.join(dir, 'metrics.log');
      const seen: string[] = [];
      const tail = await tailLogFile(file, (l) => seen.push(l.toString()) > 0, {
        pollMs: 60_000,
        reclaimBytes: 64 * 1024,
      });
      for (let i = 0; i < 20; i++) {
        // 100 KB, 1000 numbered lines
        const lines = Array.from({ length: 1000 }, (_, j) => String(i * 1000 + j).padStart(99, '-'));
        await appendFile(file, `${lines.join('\n')}\n`);
        await tail.poll();
      }
      await tail.close();
      const s = await stat(file);
      assert.deepEqual(
        seen,
        Array.from({ length: 20_000 }, (_, k) => String(k).padStart(99, '-')),
      );
      assert.ok(s.size <= 2_000_000);
      // Allocated 512-byte blocks: about what was written since the last reclaim, not the whole 2 MB.
      assert.ok(s.blocks * 512 < 300_000, `${s.blocks * 512} bytes still allocated`);
      await rm(dir, { recursive: true });
    });
  }

  it('without fallocate, starts the file again once it has read all of it, losing nothing', async () => {
    const dir = await folder();
    const file = path.join(dir, 'metrics.log');
    const path0 = process.env['PATH'];
    process.env['PATH'] = dir; // no fallocate there
    try {
      let n = 0;
      const tail = await tailLogFile(file, () => (n += 1) > 0, { pollMs: 60_000, reclaimBytes: 64 * 1024 });
      for (let i = 0; i < 20; i++) {
        await appendFile(file, `${'x'.repeat(99)}\n`.repeat(1000));
        await tail.poll();
      }
      await tail.close();
      assert.equal(n, 20_000);
      const { size } = await stat(file);
      assert.ok(size < 300_000, `${size} bytes`);
    } finally {
      process.env['PATH'] = path0;
      await rm(dir, { recursive: true });
    }
  });

  it('as the metrics log: a burst larger than the queue waits in the file instead of being dropped', async () => {
    const dir = await folder();
    const file = path.join(dir, 'metrics.log');
    const registry = new Registry();
    const metrics = new TrafficMetrics();
    metrics.addRoutes('c', [
      {
        host: 'h',
        namespace: 'n',
        ingress: 'i',
        path: '/',
        pathType: 'Prefix',
        field: '',
        service: 's',
        servicePort: '80',
      },
    ]);
    const receiver = await TrafficLogReceiver.start(metrics, registry, { queueLimit: 10, file });
    assert.equal(receiver.target, file);
    await appendFile(file, `${LINE}\n`.repeat(2000));
    await receiver.drained();
    await receiver.close();
    const samples = parseMetrics(`${await registry.metrics()}${metrics.exposition()}`);
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' }), 2000);
    assert.equal(valueOf(samples, 'gatehouse_traffic_log_dropped_total', { reason: 'queue_full' }), 0);
    await rm(dir, { recursive: true });
  });
});
