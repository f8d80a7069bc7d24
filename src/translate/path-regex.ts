/**
 * Regex paths, as ingress-nginx Ingresses write them with `use-regex` or `rewrite-target`
 * (`/api(/|$)(.*)`, `/v1/(.*)`, `/static/[a-z0-9]+\.js`). NGINX prints them as `location ~* "^…"` and
 * matches them with PCRE, so only a small, common subset of PCRE is accepted, checked token by token:
 *
 * - literals: letters, digits and `-._~/:,=@!&`; no quotes, `%`, `#`, `;`, `'`, whitespace;
 * - `.`, `^`, `$`, alternation `|`, groups `(…)` and `(?:…)` (no other `(?`), classes `[…]`, `[^…]`;
 * - quantifiers `*`, `+`, `?` (also lazy), `{n}`, `{n,}`, `{n,m}` with n, m ≤ 255;
 * - escapes `\d \D \w \W \s \S \b \B` and `\` before a metacharacter or `/`, `-`. Never `\\`, `\"`,
 *   `\'`, `\t`, `\n`, `\r`: NGINX's config parser rewrites those inside a quoted string, so the
 *   regex PCRE sees would not be the one that was validated; never back-references.
 *
 * ReDoS: a repeated group (`(…)*`, `(…)+`, `(…){2,}`) may hold only literals and classes, never a
 * quantifier or an alternation, which rules out the exponential cases (`(a+)+`, `(a|aa)*`); at most 8
 * unbounded quantifiers; at most 512 characters. What remains is polynomial, and PCRE's match limit and
 * NGINX's request-line limit bound it.
 */

export const MAX_REGEX_PATH = 512;
const MAX_UNBOUNDED = 8;
const LITERAL = /[A-Za-z0-9\-._~/:,=@!&]/;
const ESCAPABLE = /[dDwWsSbB.^$*+?()[\]{}|/-]/;
const CLASS_LITERAL = /[A-Za-z0-9\-._~/:,=@!&^$*+?(){}|]/;

export type RegexCheck = { ok: true; groups: number } | { ok: false; reason: string };

interface Group {
  /** Whether the group (or a group inside it) holds a quantifier or an alternation. */
  complex: boolean;
}

/** Checks a regex path; on success, the number of capture groups (for `$1`…`$9` in rewrite-target). */
export function checkRegexPath(path: string): RegexCheck {
  const fail = (reason: string): RegexCheck => ({ ok: false, reason });
  if (!path.startsWith('/')) return fail('must start with "/"');
  if (path.length > MAX_REGEX_PATH) return fail(`must be at most ${MAX_REGEX_PATH} characters`);
  let groups = 0;
  let unbounded = 0;
  const stack: Group[] = [{ complex: false }];
  const top = (): Group => stack[stack.length - 1] ?? { complex: false };
  // What a quantifier would apply to: nothing yet, a single atom, or a group that just closed.
  let last: 'none' | 'atom' | { group: Group } = 'none';
  let i = 0;
  while (i < path.length) {
    const c = path.charAt(i);
    if (c === '\\') {
      const next = path.charAt(i + 1);
      if (!ESCAPABLE.test(next) || next === '') return fail(`must not use the escape "\\${next}"`);
      i += 2;
      last = 'atom';
      continue;
    }
    if (c === '[') {
      const end = classEnd(path, i);
      if (typeof end === 'string') return fail(end);
      i = end + 1;
      last = 'atom';
      continue;
    }
    if (c === '(') {
      if (path.charAt(i + 1) === '?') {
        if (path.charAt(i + 2) !== ':') return fail('may use only "(" and "(?:" groups');
        i += 3;
      } else {
        groups++;
        i++;
      }
      stack.push({ complex: false });
      last = 'none';
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return fail('has an unbalanced ")"');
      const closed = stack.pop() ?? { complex: false };
      if (closed.complex) top().complex = true;
      i++;
      last = { group: closed };
      continue;
    }
    if (c === '|') {
      top().complex = true;
      i++;
      last = 'none';
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let repeats = c !== '?';
      let end = i + 1;
      if (c === '{') {
        const m = /^\{(\d{1,3})(,(\d{1,3})?)?\}/.exec(path.slice(i));
        if (m === null) return fail('must write "{" only as a quantifier {n}, {n,} or {n,m}');
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === undefined ? Infinity : Number(m[3]);
        if (min > 255 || max < min || (max !== Infinity && max > 255))
          return fail('must use quantifiers {n,m} with n <= m <= 255');
        repeats = max > 1;
        if (max === Infinity) unbounded++;
        end = i + m[0].length;
      } else if (c !== '?') unbounded++;
      if (last === 'none') return fail(`has "${c}" with nothing to repeat`);
      if (repeats && last !== 'atom' && last.group.complex)
        return fail('must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)');
      top().complex = true;
      if (path.charAt(end) === '?') end++; // lazy
      if (unbounded > MAX_UNBOUNDED) return fail(`may use at most ${MAX_UNBOUNDED} unbounded quantifiers`);
      i = end;
      last = 'none';
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || LITERAL.test(c)) {
      i++;
      last = c === '^' || c === '$' ? 'none' : 'atom';
      continue;
    }
    return fail(`must not contain ${JSON.stringify(c)}`);
  }
  if (stack.length !== 1) return fail('has an unbalanced "("');
  // The subset above means the same in JavaScript and PCRE; compiling catches what tokens do not (a
  // range such as [z-a]).
  try {
    new RegExp(path);
  } catch {
    return fail('is not a valid regular expression');
  }
  return { ok: true, groups };
}

/** Index of the `]` closing the class that opens at `start`, or why the class is refused. */
function classEnd(path: string, start: number): number | string {
  let i = start + 1;
  if (path.charAt(i) === '^') i++;
  if (path.charAt(i) === ']') i++; // a leading ] is literal
  for (; i < path.length; i++) {
    const c = path.charAt(i);
    if (c === ']') return i > start + 1 ? i : 'has an empty "[]"';
    if (c === '\\') {
      const next = path.charAt(i + 1);
      if (!ESCAPABLE.test(next) || next === '') return `must not use the escape "\\${next}"`;
      i++;
      continue;
    }
    if (c === '[') return 'must not nest "[" in a character class';
    if (!CLASS_LITERAL.test(c)) return `must not contain ${JSON.stringify(c)}`;
  }
  return 'has an unclosed "["';
}

/**
 * A literal path (validators.ts `httpPath`) as a regex that matches exactly it: the metacharacters such a
 * path may hold become one-character classes.
 */
export function literalRegex(path: string): string {
  return path.replace(/[.*+()]/g, (c) => `[${c}]`);
}
