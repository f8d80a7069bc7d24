import { createSecureContext } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { cidr, dnsSubdomain } from '../translate/validators.ts';

/**
 * Value shapes several families (and the ConfigMap) share, accepting what people write for ingress-nginx.
 * Each message says what a good value looks like. Values are trimmed, as ingress-nginx trims them.
 */

/** Go's strconv.ParseBool, which ingress-nginx uses: true/false, True/False, TRUE/FALSE, t/f, 1/0. */
export const bool = z
  .string()
  .trim()
  .refine((v) => /^(1|t|T|true|True|TRUE|0|f|F|false|False|FALSE)$/.test(v), {
    message: 'must be "true" or "false"',
  })
  .transform((v) => /^(1|t|T|true|True|TRUE)$/.test(v));

export const onOff = z
  .string()
  .trim()
  .pipe(z.enum(['on', 'off'], { error: 'must be "on" or "off"' }))
  .transform((v) => v === 'on');

/** NGINX's largest timer, in seconds: timers are milliseconds in a 32-bit signed int on some platforms. */
const MAX_SECONDS = 2_147_483;
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration in whole seconds: `60`, `60s`, `5m`, `1h`, `1d` (ingress-nginx writes plain seconds). */
export function duration(min: number) {
  const message = `must be a whole number of seconds (such as 60, 60s, 5m or 1h), at least ${min}`;
  return z
    .string()
    .trim()
    .regex(/^\d{1,9}[smhd]?$/, message)
    .transform((v) => Number(v.replace(/[smhd]$/, '')) * (UNIT_SECONDS[v.replace(/^\d+/, '')] ?? 1))
    .refine((n) => n >= min && n <= MAX_SECONDS, {
      message: `must be between ${min} and ${MAX_SECONDS} seconds`,
    });
}

/** A timeout: at least one second. */
export const seconds = duration(1);

const UNIT_BYTES: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * An NGINX size, printed in lower case: `0`, `0m`, `512k`, `8m`, `5G`, `2048m`. `withG` for the
 * directives that take offsets (client_max_body_size, proxy_max_temp_file_size); buffer sizes stop at `m`.
 */
function nginxSize(withG: boolean, maxBytes: number) {
  const message = withG ? 'must be a size such as 0, 512k, 8m or 1g' : 'must be a size such as 4k, 16k or 1m';
  return z
    .string()
    .trim()
    .regex(withG ? /^\d{1,12}[kKmMgG]?$/ : /^\d{1,9}[kKmM]?$/, message)
    .transform((v) => v.toLowerCase())
    .refine((v) => Number(v.replace(/[kmg]$/, '')) * (UNIT_BYTES[v.replace(/^\d+/, '')] ?? 1) <= maxBytes, {
      message: `${message}, at most ${withG ? '1024g' : '1g'}`,
    });
}

/** Body and temp-file sizes (offsets). */
export const size = nginxSize(true, 1024 ** 4);
/** Buffer sizes. */
export const bufferSize = nginxSize(false, 1024 ** 3);

export function int(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a whole number from ${min} to ${max}` });
}

/** Comma- or space-separated items, trimmed, empty ones dropped. */
export function list<T>(item: z.ZodType<T, string>, { min = 1, max = 64 } = {}) {
  return z
    .string()
    .transform((v) => v.split(/[\s,]+/).filter((s) => s !== ''))
    .pipe(z.array(item).min(min, `must list at least ${min}`).max(max, `must list at most ${max}`));
}

/**
 * A comma-separated list as ingress-nginx reads one: split on commas, entries trimmed, empty ones dropped,
 * each checked by `item`; at most `max` entries and, with `atLeastOne` (its message), at least one.
 */
export function commaList<T extends z.ZodType<unknown, string>>(
  item: T,
  bounds: { readonly max: number; readonly tooMany?: string; readonly atLeastOne?: string },
) {
  const list = z.array(item).max(bounds.max, bounds.tooMany ?? `must list at most ${bounds.max} entries`);
  return z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(bounds.atLeastOne === undefined ? list : list.min(1, bounds.atLeastOne));
}

/**
 * A comma-separated list of client addresses and networks (allow- and denylists), deduplicated, each in
 * its canonical form (a CIDR becomes its network address: `10.0.0.1/8` is `10.0.0.0/8`; a one-address CIDR its address), sorted.
 */
export const sourceRangeList = commaList(
  // The message belongs on each element: on the array it only covers a non-array, never a bad CIDR.
  z.string().refine((s) => cidr.safeParse(s).success, {
    message: 'must be a comma-separated list of IP addresses or CIDRs',
  }),
  {
    atLeastOne: 'must list at least one IP address or CIDR',
    max: 256,
    tooMany: 'must list at most 256 addresses or CIDRs',
  },
).transform((list) => [...new Set(list.map(canonicalRange))].sort());

function canonicalRange(range: string): string {
  if (!range.includes('/')) return ipaddr.parse(range).toString();
  const [address, bits] = ipaddr.parseCIDR(range);
  if (bits === (address.kind() === 'ipv4' ? 32 : 128)) return address.toString();
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(range)
      : ipaddr.IPv6.networkAddressFromCIDR(range);
  return `${network.toString()}/${bits}`;
}

/** Space-separated TLS versions from TLSv1.2 and TLSv1.3 (ssl-protocols, proxy-ssl-protocols), deduplicated and sorted. */
export const tlsProtocols = z
  .string()
  .transform((v) => v.split(/\s+/).filter((s) => s !== ''))
  .pipe(
    z
      .array(z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'must list TLSv1.2 and/or TLSv1.3' }))
      .min(1, 'must list TLSv1.2 and/or TLSv1.3'),
  )
  .transform((v) => [...new Set(v)].sort());

/**
 * An OpenSSL cipher list as `openssl ciphers` takes it (ssl-ciphers, proxy-ssl-ciphers), that names at
 * least one TLS 1.2 cipher: NGINX refuses a list that matches none (`nginx -t` fails), so it is told here,
 * on the object that set it. OpenSSL itself (Node's) parses the list; TLS 1.3 suites (`TLS_*`) are not
 * cipher-list names for NGINX and do not count.
 */
export const cipherList = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9!+@._=-]+(:[A-Za-z0-9!+@._=-]+)*$/,
    'must be an OpenSSL cipher list: names, "!", "+", "-" and "@" separated by ":"',
  )
  .max(2048)
  .refine(matchesSomeCipher, { message: 'matches no TLS 1.2 cipher OpenSSL knows' });

/** Lists already parsed (an OpenSSL context costs ~0.1 ms; thousands of Ingresses share a few lists). */
const cipherVerdicts = new Map<string, boolean>();

function matchesSomeCipher(list: string): boolean {
  const known = cipherVerdicts.get(list);
  if (known !== undefined) return known;
  const tls12 = list
    .split(':')
    .filter((item) => !/^TLS_/.test(item))
    .join(':');
  let verdict = tls12 !== '';
  if (verdict)
    try {
      createSecureContext({ ciphers: tls12, maxVersion: 'TLSv1.2' });
    } catch {
      verdict = false;
    }
  if (cipherVerdicts.size >= 1024) cipherVerdicts.clear();
  cipherVerdicts.set(list, verdict);
  return verdict;
}

/** A Secret an annotation names: `name` or `namespace/name`, parsed to its parts. */
export const secretReference = z
  .string()
  .refine(
    (s) => {
      const parts = s.split('/');
      return parts.length <= 2 && parts.every((p) => dnsSubdomain.safeParse(p).success);
    },
    { message: 'must be a Secret name, or namespace/name' },
  )
  .transform((s) => {
    const [first = '', second] = s.split('/');
    return second === undefined ? { name: first } : { namespace: first, name: second };
  });

/**
 * The name of a Secret an annotation names, when it is in the Ingress's own namespace (Gatehouse never lets
 * an Ingress read another namespace's Secrets); otherwise reports it on `key` and gives undefined.
 */
export function ownSecret(
  ref: { readonly namespace?: string; readonly name: string },
  key: string,
  context: { readonly namespace: string; report(key: string, reason: string): void },
): string | undefined {
  if (ref.namespace === undefined || ref.namespace === context.namespace) return ref.name;
  context.report(key, "must name a Secret in the Ingress's own namespace");
  return undefined;
}
