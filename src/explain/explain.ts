import ipaddr from 'ipaddr.js';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostics.ts';
import type { Endpoint, Location, NginxModel, Server } from '../model/nginx.ts';
import type { Route } from '../model/routes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import {
  normaliseHost,
  safeNormaliseUri,
  selectLocation,
  selectServer,
  type LocationMatch,
  type ServerMatch,
} from './nginx-matching.ts';

export interface ExplainRequest {
  /** `http://host[:port]/path?query` or `https://…`. */
  readonly url: string;
  readonly method: string;
  /** Extra request headers; a `Host` header here replaces the URL's host for routing. */
  readonly headers: Readonly<Record<string, string>>;
  /** The client address, for allow-lists. */
  readonly source: string;
}

/** What the controller knows, from one translate: the model, its routes, its diagnostics, its objects. */
export interface ExplainContext {
  readonly model: NginxModel;
  readonly routes: readonly Route[];
  readonly diagnostics: readonly Diagnostic[];
  readonly snapshot: Snapshot | undefined;
  /**
   * Each upstream's endpoints as NGINX's workers use them now (the live controller reads them from NGINX);
   * without it, the model's.
   */
  readonly liveEndpoints?: Readonly<Record<string, readonly string[]>>;
}

export interface Explanation {
  readonly request: { method: string; scheme: string; host: string; uri: string; source: string };
  readonly server?: { host: string; serverName: string; matchedBy: ServerMatch; sources: readonly string[] };
  readonly location?: { modifier: string; path: string; source: string; matchedBy: LocationMatch };
  readonly route?: Route;
  /** `nginx.ingress.kubernetes.io/*` annotations of the Ingress the location came from. */
  readonly annotations: Readonly<Record<string, string>>;
  /** `address:port` of each endpoint; `live` when read from NGINX rather than from the model. */
  readonly upstream?: { name: string; endpoints: readonly string[]; live: boolean };
  /** The request target the pod receives, when rewrite-target changed it. */
  readonly rewrittenTo?: string;
  /** What the client gets: `proxy` (to one of the endpoints) or a status code NGINX answers itself. */
  readonly result: { kind: 'proxy' } | { kind: 'status'; code: number; location?: string };
  /** Why, in words. */
  readonly reason: string;
}

/** Where a request goes in this config, and why: what NGINX itself would do with it. Pure. */
export function explain(request: ExplainRequest, context: ExplainContext): Explanation {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return failed(request, 400, `${request.url} is not an absolute http:// or https:// URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') return failed(request, 400, 'only http and https URLs');
  const target = rawTarget(request.url);
  const hostHeader =
    Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'host')?.[1] ?? url.host;
  const host = normaliseHost(hostHeader);
  const uri = safeNormaliseUri(target);
  const base = {
    method: request.method,
    scheme,
    host: host ?? hostHeader,
    uri: uri ?? target,
    source: request.source,
  };
  if (host === undefined)
    return {
      ...failed(request, 400, `NGINX refuses the Host header ${JSON.stringify(hostHeader)}`),
      request: base,
    };
  if (uri === undefined)
    return {
      ...failed(request, 400, `NGINX refuses the path ${target}: a bad %-escape, a NUL, or .. above /`),
      request: base,
    };

  const passthrough = scheme === 'https' ? passedThrough(context.model, host) : undefined;
  if (passthrough !== undefined) return { request: base, annotations: {}, ...passthrough };

  const choice = selectServer(context.model, host);
  if (choice.redirect !== undefined) {
    const r = choice.redirect;
    const port =
      scheme === 'https'
        ? portSuffix(context.model.listen.httpsPort, 443)
        : portSuffix(context.model.listen.httpPort, 80);
    return {
      request: base,
      server: { host: r.host, serverName: r.host, matchedBy: choice.matchedBy, sources: [r.source] },
      annotations: {},
      result: { kind: 'status', code: 308, location: `${scheme}://${r.target}${port}${target}` },
      reason: `from-to-www-redirect: ${r.host} redirects to ${r.target}`,
    };
  }
  const { server, matchedBy } = choice;
  const serverInfo = {
    host: server.host === '' ? '(default server)' : server.host,
    serverName: server.serverName,
    matchedBy,
    sources: server.sources,
  };
  if (server.appRoot !== undefined && uri === '/') {
    // A server-level `if`, in the server's rewrite phase: before any location is chosen.
    return {
      request: base,
      server: serverInfo,
      annotations: {},
      result: { kind: 'status', code: 302, location: `${scheme}://${hostHeader}${server.appRoot}` },
      reason: `app-root: / is redirected to ${server.appRoot}`,
    };
  }
  const found = selectLocation(server, uri);
  if (found === undefined) {
    return {
      request: base,
      server: serverInfo,
      annotations: {},
      result: { kind: 'status', code: 404 },
      reason: 'no location matches',
    };
  }
  const { location, matchedBy: locationMatch } = found;
  const route = context.routes[location.route];
  const common = {
    request: base,
    server: serverInfo,
    location: {
      modifier: location.modifier,
      path: location.path,
      source: location.source,
      matchedBy: locationMatch,
    },
    ...(route === undefined ? {} : { route }),
    annotations: annotationsOf(context.snapshot, route),
  };
  if (locationMatch === 'slash redirect') {
    const query = target.includes('?') ? target.slice(target.indexOf('?')) : '';
    return {
      ...common,
      result: { kind: 'status', code: 301, location: `${uri}/${query}` },
      reason: `NGINX adds the slash: ${uri}/ is a proxying location and nothing matches ${uri} exactly`,
    };
  }
  return { ...common, ...outcome(location, server, { scheme, host, target, uri }, request, context, route) };
}

function outcome(
  location: Location,
  server: Server,
  { scheme, host, target, uri }: { scheme: string; host: string; target: string; uri: string },
  request: ExplainRequest,
  context: ExplainContext,
  route: Route | undefined,
): Pick<Explanation, 'result' | 'reason' | 'upstream'> {
  // NGINX's phases, in order: rewrite (the redirect), access (the allow-list), then content.
  if (location.settings.sslRedirect && scheme === 'http') {
    // The HTTPS port only with use-port-in-redirects, as ingress-nginx (clients reach it through a Service).
    const port =
      location.settings.sslRedirectPort === undefined ? '' : portSuffix(context.model.listen.httpsPort, 443);
    return {
      result: {
        kind: 'status',
        code: 308,
        // As ingress-nginx: a trailing "/" is dropped unless preserve-trailing-slash.
        location: `https://${host}${port}${location.settings.preserveTrailingSlash === undefined ? target.replace(/\/$/, '') : target}`,
      },
      reason: server.hasTls
        ? 'the host has TLS, so HTTP is redirected to HTTPS (annotation ssl-redirect: "false" turns it off)'
        : 'force-ssl-redirect: HTTP is redirected to HTTPS',
    };
  }
  for (const variable of location.settings.refuseClients) {
    const list = context.model.addressLists.find((l) => l.variable === variable);
    if (list === undefined) continue;
    const inside = allowed(request.source, list.ranges);
    if (list.setFor === 'outside' && !inside)
      return {
        result: { kind: 'status', code: 403 },
        reason: `${request.source} is not in the allow-list (${list.ranges.join(', ')})`,
      };
    if (list.setFor === 'inside' && inside)
      return {
        result: { kind: 'status', code: 403 },
        reason: `${request.source} is in the deny-list (${list.ranges.join(', ')})`,
      };
  }
  if (location.settings.denied !== undefined)
    return { result: { kind: 'status', code: 503 }, reason: `denied: ${location.settings.denied}` };
  if (location.action.kind === 'redirect')
    return {
      result: { kind: 'status', code: location.action.code, location: location.action.url },
      reason: 'permanent-redirect or temporal-redirect: every request is redirected',
    };
  if (location.action.kind === 'status') {
    const { code } = location.action;
    return {
      result: { kind: 'status', code },
      reason: code === 503 ? whyUnavailable(context, route) : whyNotFound(location),
    };
  }
  // Access phase: basic or digest auth answers 401 to a request without the right credentials.
  const authScheme = location.settings.digestAuth === undefined ? 'basic' : 'digest';
  const auth = location.settings.basicAuth ?? location.settings.digestAuth;
  if (auth !== undefined && !Object.keys(request.headers).some((k) => k.toLowerCase() === 'authorization'))
    return {
      result: { kind: 'status', code: 401 },
      reason: `${authScheme} authentication (realm ${JSON.stringify(auth.realm)}): send an Authorization header`,
    };
  const name = location.action.upstream;
  const live = context.liveEndpoints;
  const endpoints =
    live !== undefined
      ? endpointList(live[name])
      : (context.model.upstreams.find((u) => u.name === name)?.endpoints.map(formatEndpoint) ?? []);
  const upstream = { name, endpoints, live: live !== undefined };
  if (endpoints.length === 0)
    return { result: { kind: 'status', code: 503 }, reason: whyUnavailable(context, route), upstream };
  const rewritten = rewrite(location, uri, target);
  const notes = [
    auth === undefined ? '' : `, if the credentials are right (${authScheme} authentication)`,
    location.settings.limits === undefined ? '' : ', within its rate and connection limits (else 503)',
  ].join('');
  return {
    result: { kind: 'proxy' },
    reason: `proxied (${location.action.protocol}) to one of the ${endpoints.length} endpoint(s) of ${name}${notes}`,
    upstream,
    ...(rewritten === undefined ? {} : { rewrittenTo: rewritten }),
  };
}

/**
 * ssl-passthrough: the stream layer reads the SNI name and hands the whole TLS connection to the pods, so
 * no server, location or annotation of the http block ever sees the request.
 */
function passedThrough(
  model: NginxModel,
  host: string,
): Pick<Explanation, 'result' | 'reason' | 'upstream'> | undefined {
  const routes = model.stream?.passthrough?.routes ?? [];
  const route =
    routes.find((r) => r.serverName === host) ??
    routes.find((r) => r.serverName.startsWith('~') && new RegExp(r.serverName.slice(1)).test(host));
  if (route === undefined) return undefined;
  const endpoints =
    model.stream?.upstreams.find((u) => u.name === route.upstream)?.endpoints.map(formatEndpoint) ?? [];
  const upstream = { name: route.upstream, endpoints, live: false };
  if (endpoints.length === 0)
    return {
      result: { kind: 'status', code: 502 },
      reason: `ssl-passthrough (${route.source}): ${route.upstream} has no ready endpoint, so NGINX closes the TLS connection`,
      upstream,
    };
  return {
    result: { kind: 'proxy' },
    reason: `ssl-passthrough (${route.source}): the TLS connection goes unterminated to one of the ${endpoints.length} endpoint(s) of ${route.upstream}; NGINX sees no request, so no path, header or other annotation applies`,
    upstream,
  };
}

/** NGINX's Lua (cjson) writes an empty list as `{}`. */
export function endpointList(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `address:port`, IPv6 addresses bracketed. */
export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function portSuffix(port: number, standard: number): string {
  return port === standard ? '' : `:${port}`;
}

/**
 * NGINX's `rewrite "(?i)^regex" "target" break;`: when the regex matches the URI, the whole URI becomes
 * the target with `$1`…`$9` filled in, and the query string is kept.
 */
function rewrite(location: Location, uri: string, target: string): string | undefined {
  const r = location.settings.rewrite;
  if (r === undefined) return undefined;
  const m = new RegExp(`^${r.regex}`, 'i').exec(uri);
  if (m === null) return undefined;
  const replaced = r.target.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
  const query = target.includes('?') ? target.slice(target.indexOf('?')) : '';
  return `${replaced}${query}`;
}

function whyNotFound(location: Location): string {
  return location.source === 'no default backend'
    ? 'no rule matches this path and there is no default backend (spec.defaultBackend or --default-backend-service)'
    : `${location.source} answers 404`;
}

/** The diagnostic that says why a route's Service cannot be reached. */
function whyUnavailable(context: ExplainContext, route: Route | undefined): string {
  const found = context.diagnostics.find((d) =>
    route !== undefined && route.ingress !== ''
      ? d.object.kind === 'Ingress' &&
        d.object.namespace === route.namespace &&
        d.object.name === route.ingress &&
        d.field.startsWith(route.field)
      : d.object.kind === 'Service' && route !== undefined && d.object.name === route.service,
  );
  return found === undefined ? 'the Service has no ready endpoints' : formatDiagnostic(found);
}

function allowed(source: string, ranges: readonly string[]): boolean {
  if (!ipaddr.isValid(source)) return false;
  const address = ipaddr.process(source);
  return ranges.some((r) => {
    const [ip = '', bits] = r.split('/');
    if (!ipaddr.isValid(ip)) return false;
    const network = ipaddr.process(ip);
    if (network.kind() !== address.kind()) return false;
    const prefix = bits === undefined ? (network.kind() === 'ipv4' ? 32 : 128) : Number(bits);
    return address.match(network, prefix);
  });
}

function annotationsOf(snapshot: Snapshot | undefined, route: Route | undefined): Record<string, string> {
  if (snapshot === undefined || route === undefined || route.ingress === '') return {};
  const ing = snapshot.ingresses.find(
    (i) => i.metadata?.namespace === route.namespace && i.metadata.name === route.ingress,
  );
  return Object.fromEntries(
    Object.entries(ing?.metadata?.annotations ?? {})
      .filter(([k]) => k.startsWith('nginx.ingress.kubernetes.io/'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** The request target exactly as written after the authority: URL would already normalise the path. */
function rawTarget(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^#]*)/.exec(url);
  const target = m?.[1] ?? '';
  return target === '' || target.startsWith('?') ? `/${target}` : target;
}

function failed(request: ExplainRequest, code: number, reason: string): Explanation {
  return {
    request: { method: request.method, scheme: '', host: '', uri: '', source: request.source },
    annotations: {},
    result: { kind: 'status', code },
    reason,
  };
}

/** The explanation for people. */
export function formatExplanation(e: Explanation): string {
  const lines = [
    `request      ${e.request.method} ${e.request.scheme}://${e.request.host}${e.request.uri} (from ${e.request.source})`,
  ];
  if (e.server !== undefined) {
    lines.push(
      `server       ${e.server.host} (server_name ${e.server.serverName}, ${e.server.matchedBy}${e.server.sources.length > 0 ? `; from ${e.server.sources.join(', ')}` : ''})`,
    );
  }
  if (e.location !== undefined) {
    const modifier = e.location.modifier === '' ? '' : `${e.location.modifier} `;
    lines.push(`location     ${modifier}${e.location.path} (${e.location.matchedBy}; ${e.location.source})`);
  }
  const r = e.route;
  if (r !== undefined && r.ingress !== '') {
    const rule = r.pathType === '' ? r.field : `${r.field}: ${r.pathType} ${r.path}`;
    lines.push(
      `rule         Ingress ${r.namespace}/${r.ingress} ${rule} → Service ${r.service} port ${r.servicePort}`,
    );
  } else if (r !== undefined && r.service !== '') {
    lines.push(`rule         --default-backend-service ${r.namespace}/${r.service}`);
  }
  for (const [k, v] of Object.entries(e.annotations)) lines.push(`annotation   ${k}: ${JSON.stringify(v)}`);
  if (e.upstream !== undefined) {
    lines.push(
      `upstream     ${e.upstream.name}: ${e.upstream.endpoints.length === 0 ? '(no endpoints)' : e.upstream.endpoints.join(' ')}${e.upstream.live ? ' (live, from NGINX)' : ''}`,
    );
  }
  if (e.rewrittenTo !== undefined) lines.push(`rewrite      the pod receives ${e.rewrittenTo}`);
  const result =
    e.result.kind === 'proxy'
      ? e.reason
      : `${e.result.code}${e.result.location === undefined ? '' : ` → ${e.result.location}`}: ${e.reason}`;
  lines.push(`result       ${result}`);
  return `${lines.join('\n')}\n`;
}
