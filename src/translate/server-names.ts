import type { IngressAnnotations } from '../annotations/registry.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { Diagnostic, ObjectRef } from '../model/diagnostics.ts';
import type { RedirectServer, Server, ServerTls } from '../model/nginx.ts';
import type { ParsedIngress } from './ingress-parse.ts';
import { ingressHost } from './validators.ts';

/** An Ingress contributing to a host, oldest first (the order translate accepts them in). */
export interface HostContributor {
  readonly ingress: ParsedIngress;
  readonly settings: IngressAnnotations;
}

/** What server-scope annotations add to a host's server block. */
export interface ServerExtras {
  readonly aliases?: readonly string[];
  readonly appRoot?: string;
  readonly sslCiphers?: string;
  readonly preferServerCiphers?: boolean;
}

const field = (name: string): string => `metadata.annotations[${ANNOTATION_PREFIX}${name}]`;

/**
 * Server-scope annotations of every host: the oldest Ingress on a host that sets one decides (a newer one
 * that differs is told); an alias is a name no rule and no older alias uses, so an Ingress can never take
 * another's host by naming it. `contributors` lists each host's Ingresses oldest first; hosts are sorted.
 */
export function serverExtras(
  hosts: readonly (readonly [string, readonly HostContributor[]])[],
  report: (d: Diagnostic) => void,
): Map<string, ServerExtras> {
  const extras = new Map<string, ServerExtras>();
  // Aliases are handed out by Ingress age, whatever host asks, so the oldest request for a name wins.
  const requests = hosts
    .flatMap(([host, contributors]) =>
      contributors.flatMap((c) => (c.settings.server?.aliases ?? []).map((name) => ({ host, name, c }))),
    )
    .sort((a, b) => order(a.c.ingress, b.c.ingress));
  const taken = new Set(requests.length === 0 ? [] : hosts.map(([host]) => host));
  const aliases = new Map<string, Set<string>>();
  for (const { host, name, c } of requests) {
    if (host === '') continue; // host-less rules live in the default server, which answers every name
    if (taken.has(name)) {
      if (!(aliases.get(host)?.has(name) ?? false))
        report({
          severity: 'warning',
          object: c.ingress.ref,
          field: field('server-alias'),
          reason: `${name} is already served by another rule or alias; it is not added to ${host}`,
        });
      continue;
    }
    taken.add(name);
    const set = aliases.get(host) ?? new Set<string>();
    set.add(name);
    aliases.set(host, set);
  }
  for (const [host, contributors] of hosts) {
    if (host === '') {
      tlsWithoutHost(contributors, report);
      continue;
    }
    // Most hosts set none of these: one shared empty value, not three walks and an object per host.
    if (!aliases.has(host) && contributors.every(setsNoExtras)) {
      extras.set(host, NO_EXTRAS);
      continue;
    }
    const appRoot = decide(contributors, (s) => s.redirect?.appRoot, 'app-root', host, report);
    const sslCiphers = decide(contributors, (s) => s.server?.sslCiphers, 'ssl-ciphers', host, report);
    const preferServerCiphers = decide(
      contributors,
      (s) => s.server?.preferServerCiphers,
      'ssl-prefer-server-ciphers',
      host,
      report,
    );
    const names = [...(aliases.get(host) ?? [])].sort();
    extras.set(host, {
      ...(names.length > 0 && { aliases: names }),
      ...(appRoot !== undefined && { appRoot }),
      ...(sslCiphers !== undefined && { sslCiphers }),
      ...(preferServerCiphers !== undefined && { preferServerCiphers }),
    });
  }
  return extras;
}

const NO_EXTRAS: ServerExtras = Object.freeze({});

function setsNoExtras(c: HostContributor): boolean {
  const { redirect, server } = c.settings;
  return (
    redirect?.appRoot === undefined &&
    server?.sslCiphers === undefined &&
    server?.preferServerCiphers === undefined
  );
}

/**
 * Host-less rules live in the default server, whose SSL context every host without one of its own shares:
 * their TLS settings would change every other tenant's, so they are not applied.
 */
function tlsWithoutHost(contributors: readonly HostContributor[], report: (d: Diagnostic) => void): void {
  for (const c of contributors) {
    const set = [
      ...(c.settings.server?.sslCiphers === undefined ? [] : ['ssl-ciphers']),
      ...(c.settings.server?.preferServerCiphers === undefined ? [] : ['ssl-prefer-server-ciphers']),
    ];
    for (const name of set)
      report({
        severity: 'warning',
        object: c.ingress.ref,
        field: field(name),
        reason: 'ignored for rules without a host: TLS settings need a host (a TLS server name)',
      });
  }
}

/**
 * The TLS settings of a host that differ from the http block's (`ssl_ciphers`, `ssl_prefer_server_ciphers
 * on`): what its server prints, in an SSL context of its own.
 */
export function serverTls(extras: ServerExtras, httpCiphers: string): ServerTls | undefined {
  const tls: ServerTls = {
    ...(extras.sslCiphers !== undefined &&
      extras.sslCiphers !== httpCiphers && { ciphers: extras.sslCiphers }),
    ...(extras.preferServerCiphers === false && { preferServerCiphers: false }),
  };
  return Object.keys(tls).length > 0 ? tls : undefined;
}

/**
 * from-to-www-redirect: for each served host whose Ingresses ask for it, the same name with `www.` added
 * or removed redirects to it — unless a rule or alias already serves that name (as in ingress-nginx).
 */
export function wwwRedirects(
  servers: readonly Server[],
  contributorsOf: (host: string) => readonly HostContributor[],
  report: (d: Diagnostic) => void,
): RedirectServer[] {
  const taken = new Set(servers.flatMap((s) => [s.host, ...(s.aliases ?? [])]));
  const out: RedirectServer[] = [];
  for (const server of servers) {
    const asking = contributorsOf(server.host).find((c) => c.settings.redirect?.fromToWww === true);
    if (asking === undefined || server.host.startsWith('*.')) continue;
    const from = server.host.startsWith('www.') ? server.host.slice(4) : `www.${server.host}`;
    if (taken.has(from) || !ingressHost.safeParse(from).success || !from.includes('.')) {
      report({
        severity: 'warning',
        object: asking.ingress.ref,
        field: field('from-to-www-redirect'),
        reason: `${from} is already served by a rule or alias (or is no host name); it is not redirected to ${server.host}`,
      });
      continue;
    }
    taken.add(from);
    out.push({
      host: from,
      target: server.host,
      source: `ingress ${refName(asking.ingress.ref)} from-to-www-redirect`,
      certificate: server.certificate,
    });
  }
  return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** The value the oldest Ingress on a host gives; a newer Ingress asking for another is told. */
function decide<T>(
  contributors: readonly HostContributor[],
  get: (s: IngressAnnotations) => T | undefined,
  name: string,
  host: string,
  report: (d: Diagnostic) => void,
): T | undefined {
  let chosen: { value: T; by: ObjectRef } | undefined;
  for (const c of contributors) {
    const value = get(c.settings);
    if (value === undefined) continue;
    if (chosen === undefined) chosen = { value, by: c.ingress.ref };
    else if (value !== chosen.value)
      report({
        severity: 'warning',
        object: c.ingress.ref,
        field: field(name),
        reason: `ignored: an older Ingress on ${host} sets ${name} for the whole host`,
      });
  }
  return chosen?.value;
}

function order(a: ParsedIngress, b: ParsedIngress): number {
  const key = (i: ParsedIngress): string => `${i.createdAt}\0${i.ref.namespace}\0${i.ref.name}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function refName(ref: ObjectRef): string {
  return `${ref.namespace}/${ref.name}`;
}
