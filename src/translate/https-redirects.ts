import type { HttpsRedirect, Location, LocationSettings, Server } from '../model/nginx.ts';
import { cmp } from '../model/diagnostics.ts';

/**
 * Whether a location setting can change what plain HTTP gets from the location's HTTPS redirect (the
 * first thing a location does, in the rewrite phase: see partials/location.njk). The record makes whoever
 * adds a setting decide; `true` keeps the host's redirect in its locations.
 */
const CHANGES_REDIRECT: Record<keyof LocationSettings, boolean> = {
  sslRedirect: false,
  sslRedirectPort: false,
  preserveTrailingSlash: false,
  // The redirect's URL is absolute: port_in_redirect and absolute_redirect do not touch it.
  portInRedirects: false,
  relativeRedirects: false,
  // Later in the rewrite phase, or in later phases: a redirected request never reaches them.
  rewrite: false,
  proxyHeaders: false,
  proxy: false,
  refuseClients: false,
  satisfyAny: false,
  limits: false,
  clientCert: false,
  basicAuth: false,
  digestAuth: false,
  externalAuth: false,
  snippet: false,
  denied: false,
  upstreamTls: false,
  mirror: false,
  fastcgi: false,
  // custom-http-errors takes 400–599 only.
  errorPages: false,
  // The redirect is not logged; its answer carries the headers; ModSecurity sees it.
  accessLogOff: true,
  responseHeaders: true,
  modsecurity: true,
};

/** The kind of redirect every location of the server gives plain HTTP, if they all give the same one. */
function sharedKind(server: Server): string | undefined {
  // A server-level answer (app-root, a server-snippet's return) comes before any location's redirect.
  if (server.appRoot !== undefined || server.snippet !== undefined || server.locations.length === 0)
    return undefined;
  const kind = (l: Location): string | undefined =>
    l.settings.sslRedirect &&
    Object.entries(l.settings).every(
      ([key, value]) => value === undefined || !CHANGES_REDIRECT[key as keyof LocationSettings],
    )
      ? `${l.settings.sslRedirectPort === true ? 'port' : ''}/${l.settings.preserveTrailingSlash === true ? 'slash' : ''}`
      : undefined;
  const first = kind(server.locations[0] as Location);
  return first !== undefined && server.locations.every((l) => kind(l) === first) ? first : undefined;
}

/**
 * Hosts whose every location redirects plain HTTP to HTTPS alike get that answer from one shared server
 * per kind of redirect (a `server_name` list, no `if`): an `if` costs NGINX a whole location configuration
 * (with the Lua module loaded, an OpenSSL context each), 30–35 % of its parse at 1,000–10,000 Ingresses.
 * Such servers are marked `httpsOnly`; the others keep their per-location redirect.
 */
export function shareHttpsRedirects(
  servers: readonly Server[],
  /** Each server's verdict, kept by the caller while the server object lives (a translate memo's). */
  verdicts?: WeakMap<Server, { readonly kind: string | undefined; readonly server: Server }>,
): {
  servers: Server[];
  httpsRedirects: HttpsRedirect[];
} {
  const groups = new Map<string, { names: string[]; sample: Location }>();
  const out = servers.map((server) => {
    let verdict = verdicts?.get(server);
    if (verdict === undefined) {
      const kind = sharedKind(server);
      verdict = { kind, server: kind === undefined ? server : { ...server, httpsOnly: true as const } };
      verdicts?.set(server, verdict);
    }
    const { kind } = verdict;
    if (kind === undefined) return server;
    const group = groups.get(kind) ?? { names: [], sample: server.locations[0] as Location };
    group.names.push(server.serverName, ...(server.aliases ?? []));
    groups.set(kind, group);
    return verdict.server;
  });
  const httpsRedirects = [...groups.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([, { names, sample }]) => ({
      serverNames: names,
      ...(sample.settings.sslRedirectPort === true && { port: true as const }),
      ...(sample.settings.preserveTrailingSlash === true && { preserveTrailingSlash: true as const }),
    }));
  return { servers: out, httpsRedirects };
}
