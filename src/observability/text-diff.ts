import { createTwoFilesPatch } from 'diff';

/** Unchanged lines shown around each change. */
const CONTEXT = 3;
/** Past this many changed lines the diff is not computed (its cost grows with the square of it). */
export const MAX_EDIT_LENGTH = 20_000;
/**
 * Equal lines that must follow (or precede) a changed line for it to count as changed alone, in place:
 * more than a server block's lines that look alike from host to host, so the texts are not aligned wrongly.
 */
const ALONE = 40;
/** Lines changed in place that may wait for ALONE equal lines after them before the walk gives up. */
const UNCONFIRMED = 8;

/**
 * The unified diff of one file, or undefined when a changed region holds more than MAX_EDIT_LENGTH changed
 * lines. Only the parts that differ are diffed: the lines both texts start and end with are cut off (all
 * but the context kept around the change), and so are lines changed in place among equal ones, alone or a
 * few close together (nginx.conf prints its checksum near its top and its end, so an edit in the middle
 * otherwise made the whole file one region); hunk line numbers are moved back by what was cut. The same
 * patch as a diff of the whole texts (which gives up on the total, not per region), but one reload's diff
 * of a 10 MB nginx.conf no longer splits 2 × 250,000 lines into arrays and walks them.
 */
export function unifiedDiff(
  oldName: string,
  newName: string,
  oldText: string,
  newText: string,
): string | undefined {
  let header: string | undefined;
  let hunks = '';
  for (const r of changedRegions(oldText, newText)) {
    // A region whose line counts differ by more than the limit needs more edits than that: given up before
    // jsdiff splits it into lines (the first config's diff against nothing, 250,000 lines at 10,000
    // Ingresses, allocated about 40 MB at the controller's start-up peak for a diff it then did not compute).
    const lineCounts = Math.abs(
      countLines(oldText, r.oldStart, r.oldEnd) - countLines(newText, r.newStart, r.newEnd),
    );
    if (lineCounts > MAX_EDIT_LENGTH + 1) return undefined;
    const patch = createTwoFilesPatch(
      oldName,
      newName,
      oldText.slice(r.oldStart, r.oldEnd),
      newText.slice(r.newStart, r.newEnd),
      undefined,
      undefined,
      { context: CONTEXT, maxEditLength: MAX_EDIT_LENGTH },
    );
    if (patch === undefined) return undefined;
    const body = patch.indexOf('\n@@ ') + 1;
    header ??= body === 0 ? patch : patch.slice(0, body);
    if (body === 0) continue;
    hunks += patch
      .slice(body)
      .replace(
        /^@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@/gm,
        (_, a: string, al: string, b: string, bl: string) =>
          `@@ -${Number(a) + r.oldLine}${al} +${Number(b) + r.newLine}${bl} @@`,
      );
  }
  return `${header ?? ''}${hunks}`;
}

/** A part of both texts to diff: character ranges at line starts, and the lines before each. */
interface Region {
  readonly oldStart: number;
  readonly oldEnd: number;
  readonly newStart: number;
  readonly newEnd: number;
  readonly oldLine: number;
  readonly newLine: number;
}

/** Character ranges `[a0, a1)` of the old text and `[b0, b1)` of the new one that differ. */
type Change = readonly [a0: number, a1: number, b0: number, b1: number];

/**
 * Where the two texts differ, in order, each widened to whole lines plus CONTEXT lines each side and
 * merged where they touch (as the diff merges hunks): lines changed alone in place from either end, then
 * whatever lies between (diffed as one). Between two regions the texts are equal. At least one region.
 */
function changedRegions(a: string, b: string): Region[] {
  // Forward: a[0, i) and b[0, j) are equal but for the changes in `head`; i and j are line starts. A line
  // changed in place counts once ALONE equal lines follow it (others may come before those, up to
  // UNCONFIRMED of them): past an insertion, texts compared line by line only meet by chance.
  const head: Change[] = [];
  let i = 0;
  let j = 0;
  let sure = { i, j, changes: 0 };
  for (;;) {
    const d = i + commonPrefix(a, i, b, j, Infinity);
    if (d === a.length && d - i + j === b.length) break;
    const start = lineStart(a, d);
    const aEnd = lineEnd(a, d);
    const bEnd = lineEnd(b, d - i + j);
    head.push([start, aEnd, start - i + j, bEnd]);
    i = aEnd;
    j = bEnd;
    if (equalLines(a, aEnd, a.length, b, bEnd, b.length, 1)) sure = { i, j, changes: head.length };
    else if (head.length - sure.changes >= UNCONFIRMED) break;
  }
  ({ i, j } = sure);
  head.length = sure.changes;
  // Backward, not past where the forward walk stopped: a[k, end) and b[l, end) are equal but for the
  // changes in `tail`; k and l are line starts.
  const tail: Change[] = [];
  let k = a.length;
  let l = b.length;
  let sureEnd = { k, l, changes: 0 };
  for (;;) {
    const same = commonSuffix(a, i, k, b, j, l);
    if (same === Math.min(k - i, l - j)) break;
    // The line the last difference is in, in each text: it ends as far into the equal part in both.
    const aLast = lineEnd(a, k - same - 1);
    const bLast = lineEnd(b, l - same - 1);
    const aFirst = lineStart(a, k - same - 1);
    const bFirst = lineStart(b, l - same - 1);
    if (aLast - (k - same) !== bLast - (l - same) || aFirst <= i || bFirst <= j) break;
    tail.unshift([aFirst, aLast, bFirst, bLast]);
    k = aFirst;
    l = bFirst;
    if (equalLines(a, aFirst, i, b, bFirst, j, -1)) sureEnd = { k, l, changes: tail.length };
    else if (tail.length - sureEnd.changes >= UNCONFIRMED) break;
  }
  ({ k, l } = sureEnd);
  tail.splice(0, tail.length - sureEnd.changes);
  const changes = [...head];
  const prefix = commonPrefix(a, i, b, j, Math.min(k - i, l - j));
  const suffix = commonSuffix(a, i + prefix, k, b, j + prefix, l);
  if (!(prefix + suffix === k - i && k - i === l - j)) {
    // What lies between, to whole lines: a[i + prefix, k - suffix) against b[j + prefix, l - suffix).
    const a0 = lineStart(a, i + prefix);
    const aEnd = k - suffix;
    const a1 = aEnd === 0 || a.charCodeAt(aEnd - 1) === NEWLINE ? aEnd : lineEnd(a, aEnd);
    changes.push([a0, a1, a0 - i + j, a1 - aEnd + l - suffix]);
  }
  changes.push(...tail);
  if (changes.length === 0)
    return [{ oldStart: 0, oldEnd: 0, newStart: 0, newEnd: 0, oldLine: 0, newLine: 0 }];
  const regions: Region[] = [];
  // b's lines less a's before the current change; a's lines before `counted`.
  let shift = 0;
  let counted = 0;
  let linesBefore = 0;
  for (const [a0, a1, b0, b1] of changes) {
    let oldStart = a0;
    for (let n = 0; n < CONTEXT && oldStart > 0; n++) oldStart = lineStart(a, oldStart - 1);
    let oldEnd = a1;
    for (let n = 0; n < CONTEXT && oldEnd < a.length; n++) oldEnd = lineEnd(a, oldEnd);
    const last = regions.at(-1);
    if (last !== undefined && last.oldEnd >= oldStart) {
      regions[regions.length - 1] = { ...last, oldEnd, newEnd: oldEnd - a1 + b1 };
    } else {
      linesBefore += countLines(a, counted, oldStart);
      counted = oldStart;
      regions.push({
        oldStart,
        oldEnd,
        newStart: oldStart - a0 + b0,
        newEnd: oldEnd - a1 + b1,
        oldLine: linesBefore,
        newLine: linesBefore + shift,
      });
    }
    shift += countLines(b, b0, b1) - countLines(a, a0, a1);
  }
  return regions;
}

const NEWLINE = 10;

/** How many characters a (from i) and b (from j) share, at most `most`. */
function commonPrefix(a: string, i: number, b: string, j: number, most: number): number {
  const limit = Math.min(most, a.length - i, b.length - j);
  let n = 0;
  while (n < limit && a.charCodeAt(i + n) === b.charCodeAt(j + n)) n++;
  return n;
}

/** How many characters a[i, k) and b[j, l) end with alike. */
function commonSuffix(a: string, i: number, k: number, b: string, j: number, l: number): number {
  const most = Math.min(k - i, l - j);
  let n = 0;
  while (n < most && a.charCodeAt(k - 1 - n) === b.charCodeAt(l - 1 - n)) n++;
  return n;
}

/** Start of the line holding position p. */
function lineStart(text: string, p: number): number {
  return p <= 0 ? 0 : text.lastIndexOf('\n', p - 1) + 1;
}

/** End of the line holding position p (past its newline). */
function lineEnd(text: string, p: number): number {
  const newline = text.indexOf('\n', p);
  return newline === -1 ? text.length : newline + 1;
}

/**
 * Whether the ALONE whole lines after (`dir` 1) or before (-1) line starts i of a and j of b are equal,
 * not going past `aBound` and `bBound`: fewer where one text reaches its bound, and then both must.
 */
function equalLines(
  a: string,
  i: number,
  aBound: number,
  b: string,
  j: number,
  bBound: number,
  dir: 1 | -1,
): boolean {
  for (let n = 0; n < ALONE; n++) {
    if (i === aBound || j === bBound) return i === aBound && j === bBound;
    const aNext = dir === 1 ? lineEnd(a, i) : lineStart(a, i - 1);
    const bNext = dir === 1 ? lineEnd(b, j) : lineStart(b, j - 1);
    const length = Math.abs(aNext - i);
    if (length !== Math.abs(bNext - j)) return false;
    if (commonPrefix(a, Math.min(i, aNext), b, Math.min(j, bNext), length) !== length) return false;
    i = aNext;
    j = bNext;
  }
  return true;
}

/** Newlines in text[from, end). */
function countLines(text: string, from: number, end: number): number {
  let lines = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
