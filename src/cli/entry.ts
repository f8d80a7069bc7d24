import { HEAP_GROWING_PERCENT_ENV, heapGrowingPercent } from './heap-growth.ts';
import { main } from './main.ts';

// A closed stdout or stderr (the reader went away: a pipe to a crashed log shipper, a closed terminal) must
// not take the controller down with it, and NGINX with it: writes are dropped instead.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

process.exitCode = await startWithHeapSettings();

async function startWithHeapSettings(): Promise<number> {
  try {
    // Checked now, applied by `serve` once its first config is served (heap-growth.ts).
    heapGrowingPercent(process.env[HEAP_GROWING_PERCENT_ENV]);
  } catch (error) {
    process.stderr.write(`gatehouse: ${(error as Error).message}\n`);
    return 2;
  }
  return main(process.argv.slice(2));
}
