import type { NameResolution } from '../model/snapshot.ts';
import { refusedAddress, refusedName, type ExternalNamePolicy } from './address-policy.ts';
import { ipAddress } from './validators.ts';

/** What a URL's host is resolved against: the controller's answers and the ExternalName address policy. */
export interface UrlHostSources {
  readonly externalNames: ReadonlyMap<string, NameResolution>;
  readonly policy: ExternalNamePolicy;
}

/**
 * The addresses NGINX may send to for the host of a URL an annotation names (`what`: auth-url,
 * mirror-target), sorted: an IP address as written, or a name as the controller resolved it (NGINX never
 * resolves one), each held to the ExternalName address policy. Otherwise why not.
 */
export function urlHostAddresses(
  host: string,
  what: string,
  { externalNames, policy }: UrlHostSources,
): { list: string[] } | { denied: string } {
  const bare = host.replace(/^\[|\]$/g, '');
  let candidates: readonly string[];
  if (ipAddress.safeParse(bare).success) candidates = [bare];
  else {
    const refused = refusedName(bare);
    if (refused !== undefined) return { denied: `${what}: ${refused}` };
    const resolution = externalNames.get(bare);
    if (resolution === undefined) return { denied: `${what} host ${bare} is still being resolved` };
    if ('error' in resolution)
      return { denied: `${what} host ${bare} does not resolve (${resolution.error})` };
    candidates = resolution.addresses;
  }
  const list: string[] = [];
  for (const address of candidates) {
    const refused = refusedAddress(address, policy);
    if (refused !== undefined) return { denied: `${what} must not lead to ${refused}` };
    list.push(address);
  }
  if (list.length === 0) return { denied: `${what} host ${bare} has no address` };
  return { list: [...new Set(list)].sort() };
}
