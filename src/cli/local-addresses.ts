import { networkInterfaces } from 'node:os';

/** Every address of this host's interfaces: ExternalName targets may not lead back to the controller. */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address.replace(/%.*$/, ''))
    .sort();
}
