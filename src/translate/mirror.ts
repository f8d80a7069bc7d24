import { createHash } from 'node:crypto';
import type { MirrorAnnotations } from '../annotations/mirror.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import { cmp, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import type { Mirror, MirrorService } from '../model/nginx.ts';
import { urlHostAddresses, type UrlHostSources } from './url-host.ts';

/** The controller's answers and the address policy, and where problems are reported. */
type MirrorSources = UrlHostSources & { readonly report: (d: Diagnostic) => void };

/**
 * The request mirrors of a config. A mirror target's host is resolved by the controller and held to the
 * ExternalName address policy, as auth-url's is. A mirror that cannot be set up is left out with a
 * warning: the Ingress is served without it, since a mirror never changes the client's answer.
 */
export class Mirrors {
  private readonly sources: MirrorSources;
  private readonly byOwner = new Map<string, Mirror | undefined>();
  private readonly serviceMap = new Map<string, MirrorService>();

  constructor(sources: MirrorSources) {
    this.sources = sources;
  }

  /** The mirror an Ingress asks for, or undefined (reported once) when it cannot be set up. */
  resolve(owner: ObjectRef, wanted: MirrorAnnotations): Mirror | undefined {
    const key = `${owner.namespace}/${owner.name}`;
    if (this.byOwner.has(key)) return this.byOwner.get(key);
    const { target } = wanted;
    const addresses = urlHostAddresses(target.hostname, 'mirror-target', this.sources);
    let mirror: Mirror | undefined;
    if ('denied' in addresses)
      this.sources.report({
        severity: 'warning',
        object: owner,
        field: `metadata.annotations[${ANNOTATION_PREFIX}mirror-target]`,
        reason: `${addresses.denied}; requests are not mirrored until it is fixed`,
      });
    else {
      const service = { endpoints: addresses.list.map((host) => ({ host, port: target.port })) };
      const upstream = `gatehouse_mirror_${digest(service)}`;
      this.serviceMap.set(upstream, { name: upstream, ...service });
      const settings: Omit<Mirror, 'id'> = {
        upstream,
        https: target.https,
        host: wanted.host,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        // NGINX takes the URI part of proxy_pass from its first `/`; $request_uri starts with one.
        uri: /^(\/|\$request_uri)/.test(target.uri) ? target.uri : `/${target.uri}`,
        requestBody: wanted.requestBody,
      };
      mirror = { id: digest({ owner, settings }), ...settings };
    }
    this.byOwner.set(key, mirror);
    return mirror;
  }

  services(): MirrorService[] {
    return [...this.serviceMap.values()].sort((a, b) => cmp(a.name, b.name));
  }
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
