// History diffs (src/observability/text-diff.ts) cut the lines both texts share before diffing: the patch
// must be the one a diff of the whole texts gives, hunk line numbers included.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTwoFilesPatch } from 'diff';
import { MAX_EDIT_LENGTH, unifiedDiff } from '../../src/observability/text-diff.ts';

const whole = (a: string, b: string): string | undefined =>
  createTwoFilesPatch('a/f', 'b/f', a, b, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
const lines = (n: number, tag = 'line'): string[] => Array.from({ length: n }, (_, i) => `${tag} ${i}`);
/** Lines that repeat every few lines, as server blocks do. */
const repeated = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => (i % 5 === 0 ? `b ${i}` : `  same ${i % 5}`));
const text = (ls: readonly string[], end = '\n'): string => ls.join('\n') + end;

describe('unified diff of a changed region', () => {
  const base = lines(200);
  const cases: [string, string, string][] = [
    ['a changed line in the middle', text(base), text(base.with(100, 'changed'))],
    ['a changed first line', text(base), text(base.with(0, 'changed'))],
    ['a changed last line', text(base), text(base.with(199, 'changed'))],
    ['lines inserted', text(base), text([...base.slice(0, 50), 'new a', 'new b', ...base.slice(50)])],
    ['lines removed', text(base), text([...base.slice(0, 120), ...base.slice(125)])],
    ['two changes far apart', text(base), text(base.with(10, 'x').with(180, 'y'))],
    ['two changes close together', text(base), text(base.with(60, 'x').with(64, 'y'))],
    ['a line that grows', text(base), text(base.with(70, 'line 70 and more'))],
    ['an appended line', text(base), text([...base, 'tail'])],
    ['no newline at the end', text(base, ''), text(base.with(150, 'changed'), '')],
    ['a newline added at the end', text(base, ''), text(base)],
    ['from nothing', '', text(base.slice(0, 10))],
    ['to nothing', text(base.slice(0, 10)), ''],
    ['short texts', 'a\n', 'a\nb\n'],
    // nginx.conf: its checksum near the top and the end, an edit in the middle.
    [
      'a line changed alone at each end, lines inserted in the middle',
      text(lines(300)),
      text(
        [...lines(300).slice(0, 150), 'new a', 'new b', ...lines(300).slice(150)].with(1, 'x').with(-2, 'y'),
      ),
    ],
    [
      'lines changed alone near the start, lines removed and changed in the middle',
      text(lines(400)),
      text(
        [...lines(400).slice(0, 200), 'other', ...lines(400).slice(203)]
          .with(1, 'x')
          .with(60, 'z')
          .with(-1, 'y'),
      ),
    ],
    [
      'lines changed in place close together near each end, lines inserted in the middle',
      text(lines(400)),
      text(
        [...lines(400).slice(0, 200), 'new a', ...lines(400).slice(200)]
          .with(1, 'x')
          .with(20, 'x2')
          .with(21, 'x3')
          .with(-30, 'y')
          .with(-2, 'y2'),
      ),
    ],
    [
      'alike lines shifted by an insertion',
      text(repeated(120)),
      text([...repeated(120).slice(0, 60), 'b 1', ...repeated(120).slice(60)].with(0, 'x')),
    ],
  ];
  for (const [name, a, b] of cases) {
    it(name, () => {
      assert.equal(unifiedDiff('a/f', 'b/f', a, b), whole(a, b));
    });
  }

  // The region's line counts alone can tell that the limit is passed: at the limit's edge both must agree.
  for (const n of [MAX_EDIT_LENGTH - 1, MAX_EDIT_LENGTH, MAX_EDIT_LENGTH + 1, MAX_EDIT_LENGTH + 2]) {
    for (const end of ['\n', '']) {
      const grown = text(lines(n), end);
      it(`${n} lines${end === '' ? ' without a final newline' : ''} from and to nothing, as the whole diff`, () => {
        assert.equal(unifiedDiff('a/f', 'b/f', '', grown), whole('', grown));
        assert.equal(unifiedDiff('a/f', 'b/f', grown, ''), whole(grown, ''));
        const kept = text(lines(5, 'kept'));
        assert.equal(unifiedDiff('a/f', 'b/f', kept, kept + grown), whole(kept, kept + grown));
      });
    }
  }

  it('equals the whole diff for random edits of a text of alike lines', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const before = repeated(50 + random(200));
      const after = [...before];
      for (let e = 1 + random(6); e > 0; e--) {
        const at = random(after.length + 1);
        const kind = random(3);
        if (kind === 0) after.splice(at, 1 + random(3));
        else if (kind === 1) after.splice(at, 0, ...repeated(1 + random(8)).map((l) => `${l} new`));
        else after[Math.min(at, after.length - 1)] = `changed ${round}`;
      }
      const a = text(before, random(2) === 0 ? '' : '\n');
      const b = text(after, random(2) === 0 ? '' : '\n');
      assert.equal(unifiedDiff('a/f', 'b/f', a, b), whole(a, b), `round ${round}`);
    }
  });

  it('gives up past the edit limit, as the whole diff does', () => {
    const many = lines(MAX_EDIT_LENGTH + 10);
    assert.equal(
      unifiedDiff('a/f', 'b/f', text(many), text(lines(MAX_EDIT_LENGTH + 10, 'other'))),
      undefined,
    );
  });
});
