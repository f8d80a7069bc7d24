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

  it('gives up past the edit limit, as the whole diff does', () => {
    const many = lines(MAX_EDIT_LENGTH + 10);
    assert.equal(
      unifiedDiff('a/f', 'b/f', text(many), text(lines(MAX_EDIT_LENGTH + 10, 'other'))),
      undefined,
    );
  });
});
