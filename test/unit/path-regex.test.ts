import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegexPath, literalRegex } from '../../src/translate/path-regex.ts';

// Regex paths seen in ingress-nginx Ingresses, with their capture-group count.
const accepted: [string, number][] = [
  ['/api(/|$)(.*)', 2],
  ['/v1/(.*)', 1],
  ['/(.*)', 1],
  ['/something(/|$)(.*)', 2],
  ['/foo/.*', 0],
  ['/static/[a-z0-9]+\\.js', 0],
  ['/(?:api|v2)/(.+)', 1],
  ['/users/([0-9]{1,8})/?$', 1],
  ['/a{2}', 0],
  ['/[^/]+/edit', 0],
  ['/.well-known/acme-challenge/(.*)', 1],
  ['/api/v[12]/(.*?)$', 1],
  ['/(abc)+', 1],
  ['/x\\d+\\w*\\/y', 0],
  ['/', 0],
];

const refused: [string, string][] = [
  ['api/(.*)', 'must start with "/"'],
  ['/a"b', 'must not contain "\\""'],
  ['/a b', 'must not contain " "'],
  ['/a;b', 'must not contain ";"'],
  ['/a#b', 'must not contain "#"'],
  ['/a%20b', 'must not contain "%"'],
  ["/a'b", 'must not contain "\'"'],
  ['/a\nb', 'must not contain "\\n"'],
  ['/a\\"', 'must not use the escape "\\""'],
  ['/a\\\\', 'must not use the escape "\\\\"'],
  ['/a\\t', 'must not use the escape "\\t"'],
  ['/a\\n', 'must not use the escape "\\n"'],
  ['/(a)\\1', 'must not use the escape "\\1"'],
  ['/a\\', 'must not use the escape "\\"'],
  ['/(?=a)', 'may use only "(" and "(?:" groups'],
  ['/(?i)a', 'may use only "(" and "(?:" groups'],
  ['/(a+)+', 'must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)'],
  ['/(a|aa)*', 'must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)'],
  ['/((a*)b)+', 'must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)'],
  ['/(.*){2,}', 'must not repeat a group that holds a quantifier or "|" (catastrophic backtracking)'],
  ['/a{1,1000}', 'must write "{" only as a quantifier {n}, {n,} or {n,m}'],
  ['/a{300}', 'must use quantifiers {n,m} with n <= m <= 255'],
  ['/a{3,2}', 'must use quantifiers {n,m} with n <= m <= 255'],
  ['/a{x}', 'must write "{" only as a quantifier {n}, {n,} or {n,m}'],
  ['/${host}', 'must write "{" only as a quantifier {n}, {n,} or {n,m}'],
  ['/(*a)', 'has "*" with nothing to repeat'],
  ['/^*', 'has "*" with nothing to repeat'],
  ['/a**', 'has "*" with nothing to repeat'],
  ['/a*+', 'has "+" with nothing to repeat'],
  ['/(a', 'has an unbalanced "("'],
  ['/a)', 'has an unbalanced ")"'],
  ['/[a', 'has an unclosed "["'],
  ['/[[:alpha:]]', 'must not nest "[" in a character class'],
  ['/[z-a]', 'is not a valid regular expression'],
  ['/a*b*c*d*e*f*g*h*i*', 'may use at most 8 unbounded quantifiers'],
  [`/${'a'.repeat(600)}`, 'must be at most 512 characters'],
];

describe('regex paths', () => {
  for (const [path, groups] of accepted)
    it(`accepts ${path} (${groups} capture groups)`, () => {
      assert.deepEqual(checkRegexPath(path), { ok: true, groups });
    });
  for (const [path, reason] of refused)
    it(`refuses ${JSON.stringify(path)}: ${reason}`, () => {
      assert.deepEqual(checkRegexPath(path), { ok: false, reason });
    });

  it('writes a literal path as a regex that matches only it', () => {
    const path = '/a.b/c*d+(e)';
    const regex = literalRegex(path);
    assert.equal(regex, '/a[.]b/c[*]d[+][(]e[)]');
    assert.ok(new RegExp(`^${regex}$`).test(path));
    assert.ok(!new RegExp(`^${regex}$`).test('/aXb/cd+(e)'));
    assert.deepEqual(checkRegexPath(regex), { ok: true, groups: 0 });
  });
});
