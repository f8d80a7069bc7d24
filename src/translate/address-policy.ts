import ipaddr from 'ipaddr.js';

/**
 * Where an ExternalName Service may send NGINX. The API server refuses loopback, link-local and unspecified
 * addresses in EndpointSlices, but not as `spec.externalName`: without this check a tenant could make the
 * public ingress proxy to the controller's own health and metrics port, to the node's cloud metadata
 * service, or to anything listening on the node's loopback. Pure.
 */
export interface ExternalNamePolicy {
  /** `--disable-svc-external-name`: refuse every ExternalName backend. */
  readonly disabled: boolean;
  /** `--external-name-allowed-cidrs`: ranges allowed even though they are refused by default. */
  readonly allowedCidrs: readonly string[];
  /** The controller host's own addresses (its interfaces): refused, as they reach the controller itself. */
  readonly localAddresses: readonly string[];
}

export const DEFAULT_EXTERNAL_NAME_POLICY: ExternalNamePolicy = {
  disabled: false,
  allowedCidrs: [],
  localAddresses: [],
};

/** Names that always mean this machine or a cloud metadata service, whatever DNS says. */
const REFUSED_NAMES = [
  /^localhost$/,
  /\.localhost$/,
  /^localhost\.localdomain$/,
  /^metadata$/,
  /^metadata\.google\.internal$/,
  /^metadata\.goog$/,
  /^instance-data(\.ec2\.internal)?$/,
];

/** Address ranges (ipaddr.js names) that reach this machine, its link, or everyone at once. */
const REFUSED_RANGES = new Set(['loopback', 'linkLocal', 'unspecified', 'multicast', 'broadcast']);

/** Cloud metadata services outside the link-local range (Alibaba Cloud, AWS over IPv6). */
const METADATA_ADDRESSES = ['100.100.100.200', 'fd00:ec2::254'];

/** Why an ExternalName target name is refused, or undefined. */
export function refusedName(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return REFUSED_NAMES.some((r) => r.test(lower))
    ? `${name} names this machine or a cloud metadata service`
    : undefined;
}

/**
 * Why NGINX must not proxy to `address` for an ExternalName Service, or undefined when it may. IPv6 forms
 * that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address inside.
 */
export function refusedAddress(address: string, policy: ExternalNamePolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address);
  if (policy.allowedCidrs.some((c) => inCidr(parsed, c))) return undefined;
  const inner = embeddedIpv4(parsed);
  const judged = inner ?? parsed;
  const range = judged.range();
  if (REFUSED_RANGES.has(range)) return `${address} is ${describeRange(range)}`;
  if (METADATA_ADDRESSES.some((m) => sameAddress(judged, m))) return `${address} is a cloud metadata service`;
  if (policy.localAddresses.some((l) => sameAddress(judged, l)))
    return `${address} is an address of the controller's own host`;
  return undefined;
}

function embeddedIpv4(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.kind() === 'ipv4') return undefined;
  const v6 = address as ipaddr.IPv6;
  const parts = v6.parts;
  const fromWords = (high: number | undefined, low: number | undefined): ipaddr.IPv4 =>
    new ipaddr.IPv4([(high ?? 0) >> 8, (high ?? 0) & 0xff, (low ?? 0) >> 8, (low ?? 0) & 0xff]);
  switch (v6.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return fromWords(parts[6], parts[7]);
    case '6to4':
      return fromWords(parts[1], parts[2]);
    default:
      // ::a.b.c.d, the deprecated IPv4-compatible form.
      return parts.slice(0, 6).every((p) => p === 0) && (parts[6] ?? 0) !== 0
        ? fromWords(parts[6], parts[7])
        : undefined;
  }
}

function inCidr(address: ipaddr.IPv4 | ipaddr.IPv6, cidr: string): boolean {
  try {
    const [range, bits] = cidr.includes('/')
      ? ipaddr.parseCIDR(cidr)
      : [ipaddr.parse(cidr), cidr.includes(':') ? 128 : 32];
    const candidate = address.kind() === range.kind() ? address : embeddedIpv4(address);
    return candidate !== undefined && candidate.kind() === range.kind() && candidate.match(range, bits);
  } catch {
    return false;
  }
}

function sameAddress(a: ipaddr.IPv4 | ipaddr.IPv6, b: string): boolean {
  return ipaddr.isValid(b) && ipaddr.process(b).toNormalizedString() === a.toNormalizedString();
}

function describeRange(range: string): string {
  return (
    {
      loopback: 'a loopback address',
      linkLocal: 'a link-local address (where cloud metadata services live)',
      unspecified: 'the unspecified address (this host)',
      multicast: 'a multicast address',
      broadcast: 'the broadcast address',
    }[range] ?? range
  );
}
