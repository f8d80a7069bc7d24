import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ExternalAuthService } from '../annotations/external-auth.ts';
import { cmp, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import type { AuthService, ExternalAuth } from '../model/nginx.ts';
import type { NameResolution } from '../model/snapshot.ts';
import type { ExternalNamePolicy } from './address-policy.ts';
import { urlHostAddresses } from './url-host.ts';

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
/** A header value printed double-quoted: printable ASCII without quotes, backslashes or `$`. */
const HEADER_VALUE = /^[\x20-\x21\x23\x25-\x5b\x5d-\x7e]{0,1024}$/;
/** Headers of the auth request Gatehouse sets itself, or that would change how the request is framed. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

export interface ExternalAuthSources {
  readonly externalNames: ReadonlyMap<string, NameResolution>;
  readonly policy: ExternalNamePolicy;
  readonly configMaps: readonly V1ConfigMap[];
  readonly report: (d: Diagnostic) => void;
}

/**
 * The auth checks of a config. The auth service's host is never left for NGINX to resolve (a name would be
 * looked up while loading the config, holding up every tenant): the controller resolves it like an
 * ExternalName target (`externalNamesWanted`), and each address must pass the same address policy, so an
 * Ingress cannot point NGINX at the controller's own host, loopback or a cloud metadata service. A check
 * that cannot be set up denies its locations (503) rather than serving them unprotected.
 */
export class ExternalAuths {
  private readonly sources: ExternalAuthSources;
  private readonly byOwner = new Map<string, ExternalAuth | { denied: string }>();
  private readonly serviceMap = new Map<string, AuthService>();
  private readonly usedConfigMaps = new Map<string, ObjectRef>();
  private cached = false;

  constructor(sources: ExternalAuthSources) {
    this.sources = sources;
  }

  /**
   * The check `owner` asks for (an Ingress's auth-url, or the ConfigMap's global auth), or why its
   * locations are denied. Problems are reported once, on `owner` and `field`.
   */
  resolve(owner: ObjectRef, field: string, wanted: ExternalAuthService): ExternalAuth | { denied: string } {
    const key = `${owner.kind}/${owner.namespace}/${owner.name}`;
    const known = this.byOwner.get(key);
    if (known !== undefined) return known;
    const outcome = this.build(owner, wanted);
    if ('denied' in outcome)
      this.sources.report({
        severity: 'warning',
        object: owner,
        field,
        reason: `${outcome.denied}; its paths answer 503 until it is fixed`,
      });
    this.byOwner.set(key, outcome);
    return outcome;
  }

  private build(owner: ObjectRef, wanted: ExternalAuthService): ExternalAuth | { denied: string } {
    const { url } = wanted;
    const addresses = urlHostAddresses(url.hostname, 'auth-url', this.sources);
    if ('denied' in addresses) return addresses;
    const proxySetHeaders = this.proxySetHeaders(owner, wanted.proxySetHeaders);
    if ('denied' in proxySetHeaders) return proxySetHeaders;
    const service: Omit<AuthService, 'name'> = {
      endpoints: addresses.list.map((host) => ({ host, port: url.port })),
      ...(wanted.keepalive !== undefined && { keepalive: wanted.keepalive }),
    };
    const name = `gatehouse_auth_${digest(service)}`;
    this.serviceMap.set(name, { name, ...service });
    if (wanted.cache !== undefined) this.cached = true;
    const defaultPort = url.port === (url.https ? 443 : 80);
    const check: Omit<ExternalAuth, 'id'> = {
      upstream: name,
      https: url.https,
      host: defaultPort ? url.hostname : `${url.hostname}:${url.port}`,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      uri: url.uri,
      ...(wanted.method !== undefined && { method: wanted.method }),
      ...(wanted.requestRedirect !== undefined && { requestRedirect: wanted.requestRedirect }),
      responseHeaders: wanted.responseHeaders,
      proxySetHeaders: proxySetHeaders.list,
      ...(wanted.signin !== undefined && { signin: wanted.signin }),
      ...(wanted.cache !== undefined && { cache: wanted.cache }),
      keepalive: wanted.keepalive !== undefined,
      alwaysSetCookie: wanted.alwaysSetCookie,
    };
    return { id: digest({ owner, check }), ...check };
  }

  /** auth-proxy-set-headers: the ConfigMap's entries, each a header name and a plain value. */
  private proxySetHeaders(
    owner: ObjectRef,
    name: string | undefined,
  ): { list: { name: string; value: string }[] } | { denied: string } {
    if (name === undefined) return { list: [] };
    const cm = this.sources.configMaps.find(
      (c) => c.metadata?.namespace === owner.namespace && c.metadata.name === name,
    );
    const where = `ConfigMap ${owner.namespace}/${name}`;
    if (cm === undefined) return { denied: `auth-proxy-set-headers: ${where} does not exist` };
    this.usedConfigMaps.set(`${owner.namespace}/${name}`, {
      kind: 'ConfigMap',
      namespace: owner.namespace,
      name,
    });
    const entries = Object.entries(cm.data ?? {}).sort(([a], [b]) => cmp(a, b));
    if (entries.length > 64) return { denied: `auth-proxy-set-headers: ${where} has more than 64 entries` };
    for (const [header, value] of entries) {
      if (!HEADER_NAME.test(header) || RESERVED_HEADERS.has(header.toLowerCase()))
        return {
          denied: `auth-proxy-set-headers: ${where}: "${header.slice(0, 64)}" is not a header name it may set`,
        };
      if (!HEADER_VALUE.test(value))
        return {
          denied: `auth-proxy-set-headers: ${where}: the value of ${header} must be printable, without quotes, backslashes or $`,
        };
    }
    return { list: entries.map(([n, value]) => ({ name: n, value })) };
  }

  services(): AuthService[] {
    return [...this.serviceMap.values()].sort((a, b) => cmp(a.name, b.name));
  }

  /** Whether some check caches its verdicts (the http block then declares the cache). */
  cacheUsed(): boolean {
    return this.cached;
  }

  /** The ConfigMaps whose content reached the model. */
  configMaps(): ObjectRef[] {
    return [...this.usedConfigMaps.values()];
  }
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
