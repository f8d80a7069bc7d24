// GATEHOUSE_HEAP_GROWING_PERCENT (src/cli/heap-growth.ts): how far V8 lets the heap grow past what is live
// before it collects again. Node refuses the V8 flag in NODE_OPTIONS, so the CLI sets it at start: a bad value
// is refused with a clear message before anything starts, and a good one really changes when V8 collects.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { heapGrowingPercent } from '../../src/cli/heap-growth.ts';
import { REPO_ROOT } from '../support/gatehouse-process.ts';

const run = promisify(execFile);
const ENTRY = path.join(REPO_ROOT, 'src/cli/entry.ts');

/**
 * Full collections while a process holds ~30 MB live and makes ~300 MB of short-lived objects: counted from
 * V8's own --trace-gc lines, printed as each collection ends (a PerformanceObserver's entries come later,
 * in a task of their own, and on a loaded machine some had not come when the script ended).
 */
async function majorCollections(env: Record<string, string>): Promise<number> {
  const script = `
    import { applyHeapGrowth } from ${JSON.stringify(path.join(REPO_ROOT, 'src/cli/heap-growth.ts'))};
    applyHeapGrowth(process.env);
    const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: 'v' + i }));
    let held = [];
    for (let r = 0; r < 300; r++) {
      held.push(Array.from({ length: 10_000 }, (_, i) => ({ r, i })));
      if (held.length > 20) held = [];
    }
    console.log('live', live.length);`;
  const { stdout } = await run(
    process.execPath,
    ['--max-semi-space-size=2', '--trace-gc', '--input-type=module', '--eval', script],
    { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  assert.match(stdout, /live 300000/);
  return stdout.split('\n').filter((line) => line.includes('Mark-Compact')).length;
}

describe('heap growth setting', () => {
  it('reads a whole percentage, or nothing when unset', () => {
    assert.equal(heapGrowingPercent(undefined), undefined);
    assert.equal(heapGrowingPercent(''), undefined);
    assert.equal(heapGrowingPercent('20'), 20);
    assert.equal(heapGrowingPercent(' 25 '), 25);
    for (const bad of ['0', '-5', '1.5', '20%', 'fast', '1001'])
      assert.throws(() => heapGrowingPercent(bad), /GATEHOUSE_HEAP_GROWING_PERCENT must be a whole number/);
  });

  it('a bad value stops the CLI with a clear message before anything starts', async () => {
    const failed = await run(process.execPath, [ENTRY, '--version'], {
      env: { ...process.env, GATEHOUSE_HEAP_GROWING_PERCENT: 'fast' },
    }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string; stdout: string },
    );
    assert.ok(failed, 'the CLI refused to start');
    assert.equal(failed.code, 2);
    assert.match(
      failed.stderr,
      /GATEHOUSE_HEAP_GROWING_PERCENT must be a whole number from 1 to 1000, not "fast"/,
    );
    assert.equal(failed.stdout, '');
    const ok = await run(process.execPath, [ENTRY, '--version'], {
      env: { ...process.env, GATEHOUSE_HEAP_GROWING_PERCENT: '20' },
    });
    assert.match(ok.stdout, /^\d+\.\d+\.\d+/);
  });

  it('a small percentage makes V8 collect more often', async () => {
    const unset = await majorCollections({ GATEHOUSE_HEAP_GROWING_PERCENT: '' });
    const tight = await majorCollections({ GATEHOUSE_HEAP_GROWING_PERCENT: '5' });
    assert.ok(tight >= unset * 2, `${tight} full collections with 5 %, ${unset} unset`);
  });
});
