import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { cidr } from '../translate/validators.ts';

/** Value shapes several families share. Each message says what a good value looks like. */

export const bool = z
  .enum(['true', 'false'], { error: 'must be "true" or "false"' })
  .transform((v) => v === 'true');

export const onOff = z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).transform((v) => v === 'on');

export const seconds = z
  .string()
  .regex(/^\d{1,4}s?$/, 'must be a whole number of seconds (1-3600), optionally ending in "s"')
  .transform((v) => Number(v.replace(/s$/, '')))
  .refine((n) => n >= 1 && n <= 3600, { message: 'must be between 1 and 3600 seconds' });

/** An NGINX size, printed in lower case. */
export const size = z
  .string()
  .regex(/^(0|[1-9]\d{0,5}[kKmMgG]?)$/, 'must be a size such as 0, 512k, 8m or 1g')
  .transform((v) => v.toLowerCase());

/**
 * A comma-separated list of client addresses and networks (allow- and denylists), deduplicated, each in
 * its canonical form (a CIDR becomes its network address: `10.0.0.1/8` is `10.0.0.0/8`; a one-address CIDR its address), sorted.
 */
export const sourceRangeList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(
    // The message belongs on each element: on the array it only covers a non-array, never a bad CIDR.
    z
      .array(
        z.string().refine((s) => cidr.safeParse(s).success, {
          message: 'must be a comma-separated list of IP addresses or CIDRs',
        }),
      )
      .min(1, 'must list at least one IP address or CIDR')
      .max(256, 'must list at most 256 addresses or CIDRs'),
  )
  .transform((list) => [...new Set(list.map(canonicalRange))].sort());

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
