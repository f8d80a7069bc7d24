import { createTwoFilesPatch } from 'diff';

/** Unchanged lines shown around each change. */
const CONTEXT = 3;
/** Past this many changed lines the diff is not computed (its cost grows with the square of it). */
export const MAX_EDIT_LENGTH = 20_000;

/**
 * The unified diff of one file, or undefined when more than MAX_EDIT_LENGTH lines changed. The lines both
 * texts start and end with are cut off first (all but the context kept around the change) and the hunk
 * line numbers moved back by what was cut: the same patch as a diff of the whole texts, but one reload's
 * diff of a 10 MB nginx.conf no longer splits 2 × 250,000 lines into arrays and walks them.
 */
export function unifiedDiff(
  oldName: string,
  newName: string,
  oldText: string,
  newText: string,
): string | undefined {
  const { start, oldEnd, newEnd } = changedRegion(oldText, newText);
  // A region whose line counts differ by more than the limit needs more edits than that: given up before
  // jsdiff splits it into lines (the first config's diff against nothing, 250,000 lines at 10,000 Ingresses,
  // allocated about 40 MB at the controller's start-up peak for a diff it then did not compute).
  const lineCounts = Math.abs(countLines(oldText, oldEnd, start) - countLines(newText, newEnd, start));
  if (lineCounts > MAX_EDIT_LENGTH + 1) return undefined;
  const patch = createTwoFilesPatch(
    oldName,
    newName,
    oldText.slice(start, oldEnd),
    newText.slice(start, newEnd),
    undefined,
    undefined,
    { context: CONTEXT, maxEditLength: MAX_EDIT_LENGTH },
  );
  if (patch === undefined) return undefined;
  const offset = countLines(oldText, start);
  if (offset === 0) return patch;
  return patch.replace(
    /^@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@/gm,
    (_, a: string, al: string, b: string, bl: string) =>
      `@@ -${Number(a) + offset}${al} +${Number(b) + offset}${bl} @@`,
  );
}

/**
 * Where the two texts differ, widened to whole lines plus CONTEXT lines each side: both share
 * `[0, start)`, and `oldText` from `oldEnd` equals `newText` from `newEnd`.
 */
function changedRegion(a: string, b: string): { start: number; oldEnd: number; newEnd: number } {
  const shorter = Math.min(a.length, b.length);
  let same = 0;
  while (same < shorter && a.charCodeAt(same) === b.charCodeAt(same)) same++;
  // The start of the line the first difference is in, then CONTEXT lines back.
  let start = a.lastIndexOf('\n', same - 1) + 1;
  for (let k = 0; k < CONTEXT && start > 0; k++) start = start <= 1 ? 0 : a.lastIndexOf('\n', start - 2) + 1;
  let tail = 0;
  while (tail < shorter - start && a.charCodeAt(a.length - 1 - tail) === b.charCodeAt(b.length - 1 - tail))
    tail++;
  // The end of the line the last difference is in, then CONTEXT lines on.
  let oldEnd = a.length - tail;
  for (let k = 0; k <= CONTEXT && oldEnd < a.length; k++) {
    const newline = a.indexOf('\n', oldEnd);
    oldEnd = newline === -1 ? a.length : newline + 1;
  }
  return { start, oldEnd, newEnd: oldEnd + (b.length - a.length) };
}

/** Newlines in `text` from `from` to `end`. */
function countLines(text: string, end: number, from = 0): number {
  let lines = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
