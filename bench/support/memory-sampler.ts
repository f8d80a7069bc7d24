// Loaded into a controller by the scale bench (`--import`, SCALE_MEMORY=1): every 100 ms it notes the
// process's RSS and V8's heap (in use, committed), and after each full collection what it left in use (the
// live heap, near enough; V8 tells of a collection made during a long synchronous block, such as a whole
// build, only when the block ends, so that figure is then the heap at the block's end, not what the
// collection left), into `<GATEHOUSE_BENCH_MEMORY_DIR>/<pid>.tsv`, so the bench can say when the peak
// RSS happened and what the heap held then. It reads counters only (no forced GC, no snapshot) and writes
// once a second, so it moves neither the heap nor the event loop measurably.
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

const dir = process.env['GATEHOUSE_BENCH_MEMORY_DIR'];
if (dir !== undefined && dir !== '') {
  const file = path.join(dir, `${process.pid}.tsv`);
  let lines: string[] = ['t\tkind\trss\theapUsed\theapTotal\texternal'];
  const sample = (kind: string): void => {
    const h = getHeapStatistics();
    lines.push(
      `${Date.now()}\t${kind}\t${process.memoryUsage.rss()}\t${h.used_heap_size}\t${h.total_heap_size}\t${h.external_memory}`,
    );
  };
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join('\n') + '\n');
    lines = [];
  };
  setInterval(() => sample('s'), 100).unref();
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
  // A full collection's end: what it left in use is the live heap plus what was allocated since it began.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) sample(`gc${Math.round(entry.duration)}`);
    }
  }).observe({ entryTypes: ['gc'] });
}
