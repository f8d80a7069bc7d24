import { z } from 'zod';
import { checkRegexPath } from '../translate/path-regex.ts';
import { cidr, httpPath } from '../translate/validators.ts';
import type { SnippetRewrite } from '../model/nginx.ts';
import { absoluteUrl, validHost } from './url.ts';

const REDIRECT_URL = absoluteUrl({ schemes: ['http', 'https'], path: true });

/**
 * configuration-snippet, the safe way (issue 8, ADR 0013): the snippet is read with NGINX's own lexical
 * rules (tokens, quotes and escapes, `;`, blocks, comments) into directives, and each directive must be on
 * a short list with arguments that pass strict checks. Gatehouse then prints its own directives from the
 * parsed values; the text itself never reaches nginx.conf. Anything else is refused, naming the directive.
 */

/** What a configuration snippet may do, parsed. */
export interface LocationSnippet {
  /** more_set_headers / add_header: response headers, replacing what the pods send. */
  readonly responseHeaders: readonly { readonly name: string; readonly value: string }[];
  /** proxy_set_header: request headers to the pods. */
  readonly requestHeaders: readonly { readonly name: string; readonly value: string }[];
  /** allow / deny, in order (NGINX's first match wins). */
  readonly access: readonly { readonly allow: boolean; readonly range: string }[];
  /** return: a status with an optional text, or a redirect. */
  readonly answer?: { readonly code: number; readonly text?: string; readonly url?: string };
  /** rewrite, in order (never beside `answer`). */
  readonly rewrites: readonly SnippetRewrite[];
}

interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly block: boolean;
  /** The directives inside a block (`location … { … }`). */
  readonly children?: readonly Directive[];
}

/**
 * NGINX's tokenizer (ngx_conf_read_token): whitespace separates, `"…"` and `'…'` quote with `\\`
 * escapes, `#` comments to the end of the line, `;` ends a directive, `{` `}` a block.
 */
export function parseDirectives(text: string): Directive[] | { error: string } {
  // The directives of each open block, innermost last; a block's directive is added when it closes.
  const levels: { directives: Directive[]; opener?: { name: string; args: string[] } }[] = [
    { directives: [] },
  ];
  const current = () => levels[levels.length - 1] ?? { directives: [] };
  let args: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '{') {
      const [name, ...rest] = args;
      if (name === undefined) return { error: `unexpected "${c}"` };
      if (c === ';') current().directives.push({ name, args: rest, block: false });
      else levels.push({ directives: [], opener: { name, args: rest } });
      args = [];
      i++;
      continue;
    }
    if (c === '}') {
      if (args.length > 0) return { error: `"${args[0] ?? ''}" is not terminated by ";"` };
      const closed = levels.pop();
      if (closed?.opener === undefined) return { error: 'unexpected "}"' };
      current().directives.push({ ...closed.opener, block: true, children: closed.directives });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) return { error: 'unterminated quoted string' };
        const d = text[i] ?? '';
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1] ?? '';
          value +=
            e === c || e === '\\' ? e : e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : `\\${e}`;
          i += 2;
          continue;
        }
        if (d === c) break;
        value += d;
        i++;
      }
      i++;
      args.push(value);
      continue;
    }
    const start = i;
    while (i < n && !/[\s;{}]/.test(text[i] ?? '')) i++;
    args.push(text.slice(start, i));
  }
  if (args.length > 0) return { error: `"${args[0] ?? ''}" is not terminated by ";"` };
  if (levels.length > 1) return { error: 'unterminated block' };
  return current().directives;
}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
/** A value printed double-quoted: printable ASCII without quotes, backslashes or `$`. */
const PLAIN_VALUE = /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]{0,1024}$/;
/** Headers that frame the exchange; setting them from a snippet would desynchronise it. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'upgrade', 'host']);

function header(
  name: string | undefined,
  value: string | undefined,
  what: string,
): { name: string; value: string } | string {
  if (name === undefined || !HEADER_NAME.test(name) || FRAMING.has(name.toLowerCase()))
    return `${what}: "${(name ?? '').slice(0, 64)}" is not a header name it may set`;
  if (value === undefined || !PLAIN_VALUE.test(value))
    return `${what}: the value of ${name} must be printable text without quotes, backslashes or $`;
  return { name, value };
}

/** Request headers Gatehouse sets on every request, with the annotation that changes one. */
const OWN_REQUEST_HEADERS = new Map([
  ['x-request-id', ''],
  ['x-real-ip', ''],
  ['x-forwarded-for', ' (use-forwarded-headers)'],
  ['x-forwarded-proto', ''],
  ['x-forwarded-port', ''],
  ['x-forwarded-host', ''],
  ['x-forwarded-prefix', '; use the x-forwarded-prefix annotation'],
  ['proxy', ''],
  ['http2-settings', ''],
]);

const HSTS =
  'Strict-Transport-Security comes from the ConfigMap (hsts, hsts-max-age, hsts-include-subdomains, hsts-preload)';

/** Where a directive is read: each place allows its own short list. */
type Place = 'location' | 'server' | 'nested';

const ALLOWED: Record<Place, readonly string[]> = {
  location: ['more_set_headers', 'add_header', 'proxy_set_header', 'allow', 'deny', 'return', 'rewrite'],
  server: [
    'more_set_headers',
    'add_header',
    'proxy_set_header',
    'allow',
    'deny',
    'return',
    'rewrite',
    'location',
  ],
  // A nested location has no backend: no request headers to send.
  nested: ['more_set_headers', 'add_header', 'allow', 'deny', 'return'],
};

const PLACE_NAME: Record<Place, string> = {
  location: 'a snippet',
  server: 'a server-snippet',
  nested: "a server-snippet's location",
};

const MAX_SNIPPET = 16_384;
const MAX_NESTED_LOCATIONS = 32;
const MAX_REWRITES = 16;

interface Rules {
  responseHeaders: { name: string; value: string }[];
  requestHeaders: { name: string; value: string }[];
  access: { allow: boolean; range: string }[];
  answer?: LocationSnippet['answer'] | undefined;
  rewrites: SnippetRewrite[];
}

/** Checks one directive of the lists and adds what it asks to `rules`; the reason when it is refused. */
function readRule(d: Directive, rules: Rules, place: Place): string | undefined {
  const fail = (reason: string) => `${d.name}: ${reason}`;
  switch (d.name) {
    case 'more_set_headers': {
      if (d.args.length === 0) return fail('needs "Name: value"');
      for (const arg of d.args) {
        if (arg.startsWith('-')) return fail('options (-s, -t) are not supported');
        const colon = arg.indexOf(':');
        const h = header(
          colon < 0 ? arg : arg.slice(0, colon).trim(),
          colon < 0 ? undefined : arg.slice(colon + 1).trim(),
          d.name,
        );
        if (typeof h === 'string') return h;
        if (h.name.toLowerCase() === 'strict-transport-security') return fail(HSTS);
        rules.responseHeaders.push(h);
      }
      return undefined;
    }
    case 'add_header': {
      if (d.args.length < 2 || d.args.length > 3 || (d.args.length === 3 && d.args[2] !== 'always'))
        return fail('takes a name, a value and optionally "always"');
      const h = header(d.args[0], d.args[1], d.name);
      if (typeof h === 'string') return h;
      if (h.name.toLowerCase() === 'strict-transport-security') return fail(HSTS);
      rules.responseHeaders.push(h);
      return undefined;
    }
    case 'proxy_set_header': {
      if (d.args.length !== 2) return fail('takes a name and a value');
      const own = OWN_REQUEST_HEADERS.get((d.args[0] ?? '').toLowerCase());
      if (own !== undefined) return fail(`Gatehouse sets ${d.args[0] ?? ''} itself${own}`);
      const h = header(d.args[0], d.args[1], d.name);
      if (typeof h === 'string') return h;
      rules.requestHeaders.push(h);
      return undefined;
    }
    case 'allow':
    case 'deny': {
      const range = d.args[0] ?? '';
      if (d.args.length !== 1 || (range !== 'all' && !cidr.safeParse(range).success))
        return fail('takes "all", an IP address or a CIDR');
      rules.access.push({ allow: d.name === 'allow', range });
      return undefined;
    }
    case 'return': {
      if (rules.answer !== undefined) return fail('may appear once');
      const [code = '', body] = d.args;
      if (d.args.length > 2 || !/^[1-5]\d\d$/.test(code))
        return fail('takes a status code and an optional text or URL');
      const status = Number(code);
      if ([301, 302, 303, 307, 308].includes(status)) {
        const url = REDIRECT_URL.safeParse(body);
        if (!url.success) return fail('a redirect needs an absolute http(s) URL without quotes, spaces or $');
        rules.answer = { code: status, url: url.data };
      } else {
        if (body !== undefined && !/^[\x20-\x21\x23\x25-\x5b\x5d-\x7e\n]{0,4096}$/.test(body))
          return fail('the text must be printable, without quotes, backslashes or $');
        rules.answer = { code: status, ...(body !== undefined && { text: body }) };
      }
      return undefined;
    }
    case 'rewrite': {
      if (rules.rewrites.length === MAX_REWRITES) return fail(`may appear at most ${MAX_REWRITES} times`);
      const rewrite = readRewrite(d.args, place);
      if (typeof rewrite === 'string') return fail(rewrite);
      rules.rewrites.push(rewrite);
      return undefined;
    }
    default:
      return `${d.name.slice(0, 40)} is not handled`;
  }
}

/** Why a directive may not appear in `place`, or undefined when it may. */
function refusal(d: Directive, place: Place): string | undefined {
  const allowed = ALLOWED[place];
  const isBlock = d.name === 'location';
  if (allowed.includes(d.name) && d.block === isBlock) return undefined;
  return `${d.name.slice(0, 40)}${d.block ? ' { … }' : ''} is not allowed in ${PLACE_NAME[place]} (allowed: ${allowed.join(', ')})`;
}

/** The rules of a list of directives (locations excepted), in order. */
function readRules(directives: readonly Directive[], place: Place): Rules | { error: string } {
  const rules: Rules = { responseHeaders: [], requestHeaders: [], access: [], rewrites: [] };
  for (const d of directives) {
    const refused = refusal(d, place);
    if (refused !== undefined) return { error: refused };
    if (d.name === 'location') continue;
    const error = readRule(d, rules, place);
    if (error !== undefined) return { error };
  }
  // NGINX runs return and rewrite in the order written, and a rewrite's flag stops the ones after it:
  // together, one of them would silently never run.
  if (rules.answer !== undefined && rules.rewrites.length > 0)
    return { error: 'return and rewrite may not be combined: one of them would never run' };
  return rules;
}

function parsedText(text: string): Directive[] | { error: string } {
  if (text.length > MAX_SNIPPET) return { error: `must be at most ${MAX_SNIPPET} characters` };
  const parsed = parseDirectives(text);
  if ('error' in parsed) return parsed;
  if (parsed.length === 0) return { error: 'holds no directive' };
  return parsed;
}

/** A configuration-snippet, parsed and checked; or why it is refused. */
export function parseLocationSnippet(text: string): LocationSnippet | { error: string } {
  const parsed = parsedText(text);
  if ('error' in parsed) return parsed;
  const rules = readRules(parsed, 'location');
  return 'error' in rules ? rules : snippetOf(rules);
}

/** The parsed form of checked rules. */
function snippetOf({ responseHeaders, requestHeaders, access, answer, rewrites }: Rules): LocationSnippet {
  return { responseHeaders, requestHeaders, access, ...(answer !== undefined && { answer }), rewrites };
}

/** Variables a rewrite's replacement may use, besides the captures `$1`…`$9`. */
const REWRITE_VARIABLES = ['scheme', 'host', 'uri', 'request_uri', 'args', 'is_args'];
const REPLACEMENT = new RegExp(
  `^(?:[A-Za-z0-9\\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2}|\\$[1-9]|\\$(?:${REWRITE_VARIABLES.join('|')})(?![A-Za-z0-9_]))+$`,
);
const QUANTIFIER_BRACES = /\{\d{1,3}(?:,(?:\d{1,3})?)?\}/g;

/**
 * `rewrite regex replacement flag`, checked; or why it is refused. Only `break` (the URI changes, the
 * location stays), `redirect` and `permanent`: `last`, or no flag, searches the locations again with the
 * new URI, which could reach another Ingress's location on the host or one of Gatehouse's internal ones.
 * At server level every rewrite is followed by the location search, so there an internal rewrite must
 * start with `/` and a literal character other than `_`: Gatehouse's internal locations start `/_`.
 */
function readRewrite(args: readonly string[], place: Place): SnippetRewrite | string {
  const [regex = '', replacement = '', flag] = args;
  if (args.length < 2 || args.length > 3) return 'takes a regex, a replacement and a flag';
  if (flag !== 'break' && flag !== 'redirect' && flag !== 'permanent')
    return "needs the flag break, redirect or permanent (last, or no flag, searches the locations again: it could reach another Ingress's location)";
  // A regex-path body (ADR 0008's subset, with its ReDoS limits) after an optional ^; a leading "/" is
  // added for the check only, so the body may start with a group.
  const body = regex.startsWith('^') ? regex.slice(1) : regex;
  if (/^[*+?{]/.test(body)) return 'the regex starts with a quantifier';
  if (/[{}]/.test(body.replace(QUANTIFIER_BRACES, '')))
    return 'the regex may use { and } only as quantifiers';
  const checked = checkRegexPath(`/${body}`);
  if (!checked.ok) return `the regex ${checked.reason}`;
  try {
    new RegExp(body);
  } catch {
    return 'the regex is not a valid regular expression';
  }
  if (replacement.length > 2048 || !REPLACEMENT.test(replacement))
    return `the replacement may hold only path characters, %XX, $1 to $9 and $${REWRITE_VARIABLES.join(', $')}`;
  const highest = Math.max(0, ...[...replacement.matchAll(/\$([1-9])/g)].map((m) => Number(m[1])));
  if (highest > checked.groups)
    return `the replacement uses $${highest}, but the regex has ${checked.groups === 0 ? 'no capture group' : `only ${checked.groups}`}`;
  const absolute = /^(?:https?|\$scheme):\/\/([^/?]*)/.exec(replacement);
  if (absolute !== null) {
    const host = (absolute[1] ?? '').replace(/:\d{1,5}$/, '');
    if (host !== '$host' && !validHost(host))
      return "the replacement's host must be a host name, an address or $host";
    if (flag === 'break') return 'a replacement that is a URL redirects: use the flag redirect or permanent';
    return { regex, replacement, flag };
  }
  if (!/^(?:\/|\$[1-9]|\$uri|\$request_uri)/.test(replacement))
    return 'the replacement must start with /, a capture, $uri, $request_uri, or be an http(s) URL';
  if (place === 'server' && flag === 'break' && !/^\/[A-Za-z0-9\-.~:@!&()*+,=?%]/.test(replacement))
    return "at server level the locations are searched again after a rewrite: the replacement must start with / and a literal character other than _ (Gatehouse's internal locations start with /_)";
  return { regex, replacement, flag };
}

/**
 * A location block of a server-snippet. It has no backend: what its allow/deny lets through gets its
 * `return`, else 404 (as a location without content does in ingress-nginx).
 */
export interface NestedLocation {
  /**
   * `=` is Exact; no modifier is Prefix, matched as an Ingress Prefix path (`/p` and `/p/…`, not `/px`);
   * `~` and `~*` are Regex, a checked regex path (src/translate/path-regex.ts) matched from the start
   * and case-insensitively, as Gatehouse prints every regex location.
   */
  readonly match: 'Exact' | 'Prefix' | 'Regex';
  readonly path: string;
  readonly responseHeaders: LocationSnippet['responseHeaders'];
  readonly access: LocationSnippet['access'];
  readonly answer?: LocationSnippet['answer'];
}

/**
 * What a server-snippet may do, parsed: the rules of the server itself (headers for every location of the
 * host, allow/deny and a fixed answer for the whole server), and locations of its own.
 */
export interface ServerSnippet extends LocationSnippet {
  readonly locations: readonly NestedLocation[];
}

/** A nested location's modifier and path, checked; or why they are refused. */
function nestedMatch(args: readonly string[]): Pick<NestedLocation, 'match' | 'path'> | string {
  const [first = '', second] = args;
  const [modifier, raw] = args.length === 1 ? ['', first] : [first, second ?? ''];
  if (args.length === 0 || args.length > 2 || !['', '=', '~', '~*'].includes(modifier))
    return 'location: takes a path, "= path", "~ regex" or "~* regex" (no other modifier)';
  const shown = raw.slice(0, 64);
  if (modifier === '~' || modifier === '~*') {
    const regex = raw.startsWith('^') ? raw.slice(1) : raw;
    const checked = checkRegexPath(regex);
    if (!checked.ok) return `location ${modifier} ${shown}: the regex ${checked.reason}`;
    return { match: 'Regex', path: regex };
  }
  const path = httpPath.safeParse(raw);
  if (!path.success) return `location ${shown}: the path ${path.error.issues[0]?.message ?? 'is invalid'}`;
  if (modifier === '=') return { match: 'Exact', path: path.data };
  const trimmed = path.data.length > 1 ? path.data.replace(/\/+$/, '') : path.data;
  return { match: 'Prefix', path: trimmed === '' ? '/' : trimmed };
}

/** A server-snippet, parsed and checked; or why it is refused. */
export function parseServerSnippet(text: string): ServerSnippet | { error: string } {
  const parsed = parsedText(text);
  if ('error' in parsed) return parsed;
  const rules = readRules(parsed, 'server');
  if ('error' in rules) return rules;
  const locations: NestedLocation[] = [];
  for (const d of parsed) {
    if (d.name !== 'location') continue;
    const match = nestedMatch(d.args);
    if (typeof match === 'string') return { error: match };
    const where = `location ${match.match === 'Exact' ? '= ' : ''}${match.path}`;
    if (locations.some((l) => l.match === match.match && l.path === match.path))
      return { error: `${where} appears twice` };
    if (locations.length === MAX_NESTED_LOCATIONS)
      return { error: `may hold at most ${MAX_NESTED_LOCATIONS} locations` };
    if (d.children === undefined || d.children.length === 0) return { error: `${where} holds no directive` };
    const body = readRules(d.children, 'nested');
    if ('error' in body) return { error: `${where}: ${body.error}` };
    locations.push({
      ...match,
      responseHeaders: body.responseHeaders,
      access: body.access,
      ...(body.answer !== undefined && { answer: body.answer }),
    });
  }
  return { ...snippetOf(rules), locations };
}

/** A zod schema of a snippet parser: the parsed form, or the parser's reason as the issue. */
function snippetSchema<T>(parse: (text: string) => T | { error: string }) {
  return z.string().transform((v, ctx) => {
    const parsed = parse(v);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  });
}

export const locationSnippet = snippetSchema(parseLocationSnippet);
export const serverSnippet = snippetSchema(parseServerSnippet);
