import { z } from 'zod';
import { cidr } from '../translate/validators.ts';
import { absoluteUrl } from './url.ts';

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
}

interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly block: boolean;
}

/**
 * NGINX's tokenizer (ngx_conf_read_token): whitespace separates, `"…"` and `'…'` quote with `\\`
 * escapes, `#` comments to the end of the line, `;` ends a directive, `{` `}` a block.
 */
export function parseDirectives(text: string): Directive[] | { error: string } {
  const out: Directive[] = [];
  let args: string[] = [];
  let i = 0;
  let depth = 0;
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
      out.push({ name, args: rest, block: c === '{' });
      if (c === '{') depth++;
      args = [];
      i++;
      continue;
    }
    if (c === '}') {
      if (args.length > 0) return { error: `"${args[0] ?? ''}" is not terminated by ";"` };
      if (depth === 0) return { error: 'unexpected "}"' };
      depth--;
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
  if (depth > 0) return { error: 'unterminated block' };
  return out;
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

const DIRECTIVES = ['more_set_headers', 'add_header', 'proxy_set_header', 'allow', 'deny', 'return'];

/** A configuration-snippet, parsed and checked; or why it is refused. */
export function parseLocationSnippet(text: string): LocationSnippet | { error: string } {
  if (text.length > 16_384) return { error: 'must be at most 16384 characters' };
  const parsed = parseDirectives(text);
  if ('error' in parsed) return parsed;
  const responseHeaders: { name: string; value: string }[] = [];
  const requestHeaders: { name: string; value: string }[] = [];
  const access: { allow: boolean; range: string }[] = [];
  let answer: LocationSnippet['answer'];
  for (const d of parsed) {
    if (d.block || !DIRECTIVES.includes(d.name))
      return {
        error: `${d.name.slice(0, 40)}${d.block ? ' { … }' : ''} is not allowed in a snippet (allowed: ${DIRECTIVES.join(', ')})`,
      };
    const fail = (reason: string) => ({ error: `${d.name}: ${reason}` });
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
          if (typeof h === 'string') return { error: h };
          if (h.name.toLowerCase() === 'strict-transport-security') return fail(HSTS);
          responseHeaders.push(h);
        }
        break;
      }
      case 'add_header': {
        if (d.args.length < 2 || d.args.length > 3 || (d.args.length === 3 && d.args[2] !== 'always'))
          return fail('takes a name, a value and optionally "always"');
        const h = header(d.args[0], d.args[1], d.name);
        if (typeof h === 'string') return { error: h };
        if (h.name.toLowerCase() === 'strict-transport-security') return fail(HSTS);
        responseHeaders.push(h);
        break;
      }
      case 'proxy_set_header': {
        if (d.args.length !== 2) return fail('takes a name and a value');
        const own = OWN_REQUEST_HEADERS.get((d.args[0] ?? '').toLowerCase());
        if (own !== undefined) return fail(`Gatehouse sets ${d.args[0] ?? ''} itself${own}`);
        const h = header(d.args[0], d.args[1], d.name);
        if (typeof h === 'string') return { error: h };
        requestHeaders.push(h);
        break;
      }
      case 'allow':
      case 'deny': {
        const range = d.args[0] ?? '';
        if (d.args.length !== 1 || (range !== 'all' && !cidr.safeParse(range).success))
          return fail('takes "all", an IP address or a CIDR');
        access.push({ allow: d.name === 'allow', range });
        break;
      }
      case 'return': {
        if (answer !== undefined) return fail('may appear once');
        const [code = '', body] = d.args;
        if (d.args.length > 2 || !/^[1-5]\d\d$/.test(code))
          return fail('takes a status code and an optional text or URL');
        const status = Number(code);
        if ([301, 302, 303, 307, 308].includes(status)) {
          const url = REDIRECT_URL.safeParse(body);
          if (!url.success)
            return fail('a redirect needs an absolute http(s) URL without quotes, spaces or $');
          answer = { code: status, url: url.data };
        } else {
          if (body !== undefined && !/^[\x20-\x21\x23\x25-\x5b\x5d-\x7e\n]{0,4096}$/.test(body))
            return fail('the text must be printable, without quotes, backslashes or $');
          answer = { code: status, ...(body !== undefined && { text: body }) };
        }
        break;
      }
    }
  }
  if (parsed.length === 0) return { error: 'holds no directive' };
  return { responseHeaders, requestHeaders, access, ...(answer !== undefined && { answer }) };
}

export const locationSnippet = z.string().transform((v, ctx) => {
  const parsed = parseLocationSnippet(v);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed;
});
