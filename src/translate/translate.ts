import type { V1ConfigMap, V1Ingress } from '@kubernetes/client-node';
import {
  parseAnnotations,
  type AnnotationPolicy,
  type AnnotationResult,
} from '../annotations/parse-annotations.ts';
import { ANNOTATION_PREFIX } from '../annotations/spec.ts';
import type { IngressAnnotations } from '../annotations/registry.ts';
import { parseGlobalConfig, type GlobalConfig, type Tenancy } from '../config/global-config.ts';
import { cmp, refKey, sortedDiagnostics, type Diagnostic, type ObjectRef } from '../model/diagnostics.ts';
import {
  type Action,
  type CertificateFile,
  type ExternalAuth,
  type Fastcgi,
  type Listen,
  type Location,
  type LocationSettings,
  type NginxModel,
  type ProxyHeaderOverrides,
  type ProxyTuning,
  type StreamConfig,
  type Server,
  type Upstream,
} from '../model/nginx.ts';
import { NO_ROUTE, type Route } from '../model/routes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { AddressLists } from './address-lists.ts';
import { RateLimits } from './rate-limits.ts';
import { basicAuthFile, type BasicAuthFiles } from './basic-auth.ts';
import { digestAuthFile, type DigestAuthFiles } from './digest-auth.ts';
import { ExternalAuths } from './external-auth.ts';
import { Mirrors } from './mirror.ts';
import { shareHttpsRedirects } from './https-redirects.ts';
import { fastcgiFor } from './fastcgi.ts';
import { ModSecurityFiles } from './modsecurity.ts';
import { ClientCerts, withClientCert } from './client-cert.ts';
import { DEFAULT_EXTERNAL_NAME_POLICY, type ExternalNamePolicy } from './address-policy.ts';
import { ServiceIndex } from './backends.ts';
import { attachCanaries, withCanary, type CanaryAttachment } from './canaries.ts';
import { withBalancing } from './balancing.ts';
import { assignCertificates, chooseDefaultCertificate } from './tls-assignment.ts';
import {
  LEGACY_CLASS_ANNOTATION,
  ingressRef,
  parseIngress,
  type ParseResult,
  type ParsedIngress,
  type ParsedPath,
  type ServiceBackendRef,
} from './ingress-parse.ts';
import { ownership, type ClassOptions } from './ownership.ts';
import { claimKey, compareLocations, locationsFor } from './paths.ts';
import { checkCaptures, matchPath, type PathMatch } from './rewrite.ts';
import { ErrorPagesBuilder, type ResolveService } from './error-pages.ts';
import { corsSettings, customHeaders } from './response-headers.ts';
import { serverExtras, serverTls, wwwRedirects, type ServerExtras } from './server-names.ts';
import { passthroughRoutes, streamServices } from './stream.ts';
import { upstreamTlsFor, type UpstreamTlsFiles } from './upstream-tls.ts';
import { SecretFiles } from './secret-files.ts';
import { ByIngressContent } from './ingress-content.ts';
import {
  memoGlobals,
  memoOptions,
  recordedCalls,
  shiftedRoutes,
  type HostEffect,
  type TranslateMemo,
} from './translate-memo.ts';
import { SharedValues, interned } from '../model/interned.ts';
import {
  SERVER_SNIPPET_FIELD,
  fallsUnder,
  mergeHeaders,
  nestedName,
  nestedSettings,
  serverSnippetConflict,
  serverSnippetRefusal,
  snippetSettings,
  withServerHeaders,
  type NestedClaim,
} from './server-snippet.ts';

export interface NamespacedName {
  readonly namespace: string;
  readonly name: string;
}

export interface TranslateOptions extends ClassOptions {
  readonly listen: Listen;
  readonly defaultBackendService: NamespacedName | undefined;
  /** The controller ConfigMap, looked up in the snapshot. */
  readonly configMap: NamespacedName | undefined;
  /** PEM (certificate, then key) served to clients that ask for a host without a certificate of its own. */
  readonly defaultCertificatePem: string;
  /** `--default-ssl-certificate`: a `kubernetes.io/tls` Secret served instead of the generated one. */
  readonly defaultCertificateSecret: NamespacedName | undefined;
  /**
   * Objects to leave out, keyed by `refKey`, with the reason: filled by the controller when `nginx -t`
   * rejected a config and pointed at an object. Keeps translate pure while still isolating the culprit.
   */
  readonly excluded: ReadonlyMap<string, string>;
  /** Where ExternalName Services may lead (default: nowhere that reaches this host or a metadata service). */
  readonly externalNamePolicy?: ExternalNamePolicy;
  /** `--enable-ssl-passthrough`: Ingresses may ask for ssl-passthrough. */
  readonly sslPassthrough?: boolean;
  /** `--tcp-services-configmap` / `--udp-services-configmap`, looked up in the snapshot. */
  readonly tcpServices?: NamespacedName;
  readonly udpServices?: NamespacedName;
  /** Ports the controller or NGINX listen on besides HTTP/HTTPS (health, webhook): no stream service may take them. */
  readonly reservedPorts?: readonly number[];
}

export type IngressOutcome = 'served' | 'rejected';

export interface TranslateResult {
  readonly model: NginxModel;
  readonly diagnostics: readonly Diagnostic[];
  /** Every Ingress of our class and what became of it, sorted by namespace/name. */
  readonly ingresses: readonly { readonly ref: ObjectRef; readonly outcome: IngressOutcome }[];
  /**
   * Every object whose content reached the model (served Ingresses, the Services and Secrets they use,
   * the ConfigMap), sorted: what the controller may leave out, one by one, when NGINX refuses a config
   * without saying which object caused it.
   */
  readonly objects: readonly ObjectRef[];
  /** What each location serves, indexed by `Location.route`. */
  readonly routes: readonly Route[];
  /** Limits the controller applies to the rendered config (from the ConfigMap). */
  readonly limits: { readonly maxConfigBytes: number };
  /**
   * Every place an HTTP backend was resolved to an upstream, sorted: whose warnings depend on that
   * upstream's endpoints (none ready), so the endpoint fast path can recompute them (endpoint-refresh.ts).
   */
  readonly backendUses: readonly BackendUse[];
}

/** An object's field that proxies to an upstream (see `TranslateResult.backendUses`). */
export interface BackendUse {
  readonly upstream: string;
  readonly object: ObjectRef;
  readonly field: string;
  /** service-upstream: the Service's cluster IP was asked for. */
  readonly clusterIp?: true;
}

interface Contribution {
  readonly ingress: ParsedIngress;
  readonly settings: IngressAnnotations;
  /** custom-headers, read from the Ingress's ConfigMap and checked. */
  readonly customHeaders?: readonly { readonly name: string; readonly value: string }[];
  /** backend-protocol FCGI: the FastCGI parameters, fastcgi-params-configmap's read and checked. */
  readonly fastcgi?: Fastcgi;
  /**
   * Each rule's paths as they claim (by claim key), made with the Contribution: the verdict memo keeps it
   * from translate to translate, so an edit does not match every path of 10,000 Ingresses again (~8 MiB
   * of an edit's garbage, and a zod check per regex-capable path).
   */
  readonly claims: readonly (readonly { readonly key: string; readonly claimed: ClaimedPath }[])[];
}

interface ClaimedPath extends PathMatch {
  readonly owner: Contribution;
  /** The path rule as written, with its field (`spec.rules[0].http.paths[1]`). */
  readonly rule: ParsedPath;
}

interface HostPlan {
  readonly claims: Map<string, ClaimedPath>;
  readonly contributors: Contribution[];
  /** The Ingress whose server-snippet the host has, and the paths its locations claim (server-snippet.ts). */
  snippetOwner?: Contribution;
  nested?: Map<string, NestedClaim>;
}

/**
 * The pure core: snapshot + options → NGINX model + diagnostics. Rebuilds everything from the whole
 * snapshot and sorts it, so the same objects in any order give the same model. Never throws on user input.
 * With a `memo` (the caller's, kept between calls), a host whose build would read the same objects as in
 * the memo's last translate is not built again: its Server is reused and what its build did is replayed
 * (translate-memo.ts); the result is the same as without one.
 */
export function translate(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo?: TranslateMemo,
): TranslateResult {
  const diagnostics: Diagnostic[] = [...snapshot.diagnostics];
  /** While a host is built for the memo: what its build does, to replay. */
  let log: HostEffect[] | undefined;
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
    log?.push({ kind: 'report', diagnostic: d });
  };

  const wanted = options.configMap;
  const configMap = configMapNamed(snapshot, wanted);
  const global = memo?.globalConfig(configMap, parseGlobalConfig) ?? parseGlobalConfig(configMap);
  global.diagnostics.forEach(report);
  const config = global.config;

  // Objects NGINX refused are left out; each says why, and so does every user of it (a Service's or
  // Secret's users would otherwise only read "does not exist").
  const keep = <T extends { metadata?: { namespace?: string; name?: string } }>(
    kind: string,
    list: readonly T[],
  ): readonly T[] =>
    // Mostly nothing is left out: no key per object then (10,000 Services at 10,000 Ingresses).
    options.excluded.size === 0
      ? list
      : list.filter((o) => {
          const ref = { kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '' };
          const reason = options.excluded.get(refKey(ref));
          if (reason !== undefined) report({ severity: 'error', object: ref, field: '', reason });
          return reason === undefined;
        });
  const leftOut = (kind: string, namespace: string, name: string): string | undefined => {
    const reason = options.excluded.get(refKey({ kind, namespace, name }));
    return reason === undefined ? undefined : `${kind} ${namespace}/${name} was left out (${reason})`;
  };
  const services = new ServiceIndex(keep('Service', snapshot.services), snapshot.endpointSlices, {
    leftOut: (ns, name) => leftOut('Service', ns, name),
    externalNames: snapshot.externalNames ?? new Map(),
    policy: options.externalNamePolicy ?? DEFAULT_EXTERNAL_NAME_POLICY,
  });
  const usable: Snapshot = { ...snapshot, secrets: keep('Secret', snapshot.secrets) };
  const outcomes = new Map<string, { ref: ObjectRef; outcome: IngressOutcome }>();
  const accepted = acceptIngresses(
    snapshot.ingresses,
    snapshot,
    options,
    config,
    report,
    outcomes,
    memo?.verdicts<Verdict>([
      config,
      memoOptions(options),
      ...snapshot.configMaps,
      '|',
      ...snapshot.ingressClasses,
    ]),
  );

  // Oldest first: on any conflict, the older Ingress keeps what it claimed.
  accepted.sort(
    (a, b) =>
      cmp(a.ingress.createdAt, b.ingress.createdAt) ||
      cmp(a.ingress.ref.namespace, b.ingress.ref.namespace) ||
      cmp(a.ingress.ref.name, b.ingress.ref.name),
  );

  // A canary Ingress adds no routes: its paths join the main Ingresses' (canaries.ts).
  const isCanary = (c: Contribution): boolean => c.settings.canary?.enabled === true;
  const mains = accepted.filter((c) => !isCanary(c));
  const hosts = new Map<string, HostPlan>();
  for (const contribution of mains) claimPaths(contribution, hosts, report, config.tenancy);
  const canaries = attachCanaries(
    accepted,
    (host, path, canary) => {
      const claims = hosts.get(host)?.claims;
      // The same claim, or (as ingress-nginx compares them) the same path as written: a canary without
      // use-regex still joins a regex main path.
      return (
        claims?.get(claimKey(matchPath(path, canary.settings.rewrite).claim)) ??
        [...(claims?.values() ?? [])].find(
          (c) => c.rule.path === path.path && c.rule.pathType === path.pathType,
        )
      );
    },
    report,
    olderIngress,
  );

  const upstreams = new Map<string, Upstream>();
  const backendUses: BackendUse[] = [];
  // Every use, repeats included: `objects` is only read when NGINX refuses a config (reconciler.ts), so
  // it is made from these then. Keyed and sorted on every translate, it was ~10% of an edit's at 10,000.
  const used: ObjectRef[] = [];
  const use = (ref: ObjectRef): void => void used.push(ref);
  if (configMap !== undefined && wanted !== undefined) use({ kind: 'ConfigMap', ...wanted });
  const resolveAction = (
    namespace: string,
    ref: ServiceBackendRef,
    who: ObjectRef,
    field: string,
    { unavailable = 'requests get 503', serviceUpstream = false } = {},
  ): Action => {
    const resolved = services.resolve(namespace, ref, { clusterIp: serviceUpstream });
    if (resolved.kind === 'unavailable') {
      report({ severity: 'warning', object: who, field, reason: `${resolved.reason}; ${unavailable}` });
      return { kind: 'status', code: 503 };
    }
    if (resolved.warning !== undefined)
      report({ severity: 'warning', object: who, field, reason: resolved.warning });
    const backendUse: BackendUse = {
      upstream: resolved.upstream.name,
      object: who,
      field: interned(field),
      ...(serviceUpstream && { clusterIp: true as const }),
    };
    const service: ObjectRef = { kind: 'Service', namespace, name: ref.service };
    upstreams.set(resolved.upstream.name, resolved.upstream);
    backendUses.push(backendUse);
    use(service);
    log?.push({
      kind: 'upstream',
      upstream: resolved.upstream,
      use: backendUse,
      service,
    });
    return { kind: 'proxy', upstream: resolved.upstream.name, protocol: 'HTTP' };
  };

  const tls = assignCertificates(
    mains.map((c) => c.ingress),
    usable,
    report,
    (ns, name) => leftOut('Secret', ns, name),
  );
  const globalDefault = globalDefaultAction(options, services, resolveAction, report);

  const defaultCertificate = chooseDefaultCertificate(usable, options, report);
  const routes: Route[] = [];
  const addressLists = new AddressLists();
  const rateLimits = new RateLimits(addressLists);
  const basicAuth = new SecretFiles('auth-secret', basicAuthFile, usable.secrets, report);
  const digestAuth = new SecretFiles('auth-secret', digestAuthFile, usable.secrets, report);
  const clientCerts = new ClientCerts(usable.secrets, report);
  const externalAuths = new ExternalAuths({
    externalNames: snapshot.externalNames ?? new Map(),
    policy: options.externalNamePolicy ?? DEFAULT_EXTERNAL_NAME_POLICY,
    configMaps: snapshot.configMaps,
    report,
  });
  const upstreamTls = new SecretFiles('proxy-ssl-secret', upstreamTlsFor, usable.secrets, report);
  const mirrors = new Mirrors({
    externalNames: snapshot.externalNames ?? new Map(),
    policy: options.externalNamePolicy ?? DEFAULT_EXTERNAL_NAME_POLICY,
    report,
  });
  const modsecurity = new ModSecurityFiles(config.modsecurity);
  const context: ServerContext = {
    shared: new SharedValues(),
    externalAuths,
    mirrors,
    modsecurity,
    globalAuthOwner: { kind: 'ConfigMap', namespace: wanted?.namespace ?? '', name: wanted?.name ?? '' },
    addressLists,
    rateLimits,
    basicAuth,
    digestAuth,
    clientCerts,
    upstreamTls,
    canaries,
    config,
    globalDefault,
    resolveAction,
    defaultCertificate: defaultCertificate.file.fileName,
    addRoute: (route) => {
      log?.push({ kind: 'route', route });
      return routes.push(route) - 1;
    },
    report,
    resolveService: (namespace, service, ingress, field) => {
      const port = services.lookupService(namespace, service)?.spec?.ports?.[0]?.port;
      if (port !== undefined)
        return resolveAction(namespace, { service, port: { number: port } }, ingress.ref, field);
      report({
        severity: 'warning',
        object: ingress.ref,
        field,
        reason: `Service ${namespace}/${service} does not exist or has no port; it is not used`,
      });
      return { kind: 'status', code: 503 };
    },
  };
  memo?.begin(memoGlobals(snapshot, options, config, globalDefault, context.defaultCertificate), snapshot);
  const recorded = memo === undefined ? context : recording(context, (effect) => log?.push(effect));
  /** buildServer, or the memo's Server of the host when its build would read the same (see above). */
  const hostServer = (
    host: string,
    plan: HostPlan,
    certificate: string | undefined,
    fallback: Contribution | undefined,
    extras?: ServerExtras,
  ): Server => {
    if (memo === undefined) return buildServer(host, plan, certificate, fallback, context, extras);
    const base = routes.length;
    const cached = memo.lookup(host, (key) => {
      let i = 0;
      return (
        hostKey(plan, certificate, fallback, extras, canaries, (item) => Object.is(item, key[i++])) &&
        i === key.length
      );
    });
    if (cached !== undefined) {
      for (const effect of cached.effects) replay(effect);
      if (base === cached.base) {
        memo.keep(host, cached, true);
        return cached.server;
      }
      const server = shiftedRoutes(cached.server, base - cached.base);
      memo.keep(host, { ...cached, server, base }, true);
      return server;
    }
    const effects: HostEffect[] = [];
    log = effects;
    let server: Server;
    try {
      server = buildServer(host, plan, certificate, fallback, recorded, extras);
    } finally {
      log = undefined;
    }
    const key: unknown[] = [];
    hostKey(plan, certificate, fallback, extras, canaries, (item) => key.push(item) > 0);
    // Which namespaces' Services, EndpointSlices and Secrets the build may have read (the key holds its
    // Ingresses, so the same key means the same namespaces).
    const namespaces = new Set(
      [...plan.contributors, ...(fallback === undefined ? [] : [fallback])].map(
        (c) => c.ingress.ref.namespace,
      ),
    );
    // Copies of exactly their length: arrays grown by push keep room for more (17 slots for 4 effects),
    // and these are kept as long as the host is.
    memo.keep(
      host,
      { key: key.slice(), namespaces: [...namespaces], server, base, effects: effects.slice() },
      false,
    );
    return server;
  };
  const replay = (effect: HostEffect): void => {
    switch (effect.kind) {
      case 'report':
        return void diagnostics.push(effect.diagnostic);
      case 'upstream':
        upstreams.set(effect.upstream.name, effect.upstream);
        backendUses.push(effect.use);
        return use(effect.service);
      case 'route':
        return void routes.push(effect.route);
      case 'call':
        return replayCall(context, effect);
    }
  };
  const servers: Server[] = [];
  const withDefaultBackend = (list: readonly Contribution[]): Contribution | undefined =>
    list.find((c) => c.ingress.defaultBackend !== undefined);
  const sortedHosts = [...hosts.entries()].sort(([a], [b]) => cmp(a, b));
  const extras = serverExtras(
    sortedHosts.map(([host, plan]) => [host, plan.contributors] as const),
    report,
  );
  for (const [host, plan] of sortedHosts) {
    if (host === '') continue;
    const fallback = withDefaultBackend(plan.contributors);
    servers.push(hostServer(host, plan, tls.byHost.get(host), fallback, extras.get(host)));
  }
  const redirectServers = wwwRedirects(servers, (host) => hosts.get(host)?.contributors ?? [], report);
  const stream = streamModel(snapshot, options, sortedHosts, services, report, use);
  // Unknown hosts and host-less rules; its fallback is the oldest Ingress defaultBackend of all.
  const defaultServer = hostServer(
    '',
    hosts.get('') ?? { claims: new Map(), contributors: [] },
    undefined,
    withDefaultBackend(mains),
  );

  tls.secrets.forEach(use);
  basicAuth.secrets().forEach(use);
  digestAuth.secrets().forEach(use);
  clientCerts.secrets().forEach(use);
  externalAuths.configMaps().forEach(use);
  upstreamTls.secrets().forEach(use);
  if (defaultCertificate.secret !== undefined) use(defaultCertificate.secret);
  for (const c of accepted) {
    use(c.ingress.ref);
    const params = c.settings.fastcgi?.paramsConfigMap;
    if (c.fastcgi !== undefined && params !== undefined)
      use({ kind: 'ConfigMap', namespace: c.ingress.ref.namespace, name: params });
  }

  const certificates: CertificateFile[] = [
    ...new Map([defaultCertificate.file, ...tls.files.values()].map((f) => [f.fileName, f])).values(),
  ].sort((a, b) => cmp(a.fileName, b.fileName));

  const modsecurityModel = modsecurity.model();
  const https = shareHttpsRedirects(servers, memo?.redirects);
  memo?.commit();
  const serverNames = [
    ...servers.flatMap((s) => [s.serverName, ...(s.aliases ?? [])]),
    ...redirectServers.map((r) => r.host),
  ];
  return withUsedObjects(used, {
    model: {
      listen: options.listen,
      global: {
        ...config.global,
        serverNamesHashBucketSize: Math.max(
          config.global.serverNamesHashBucketSize,
          serverNamesBucketFor(serverNames),
        ),
        serverNamesHashMaxSize: serverNamesMaxSizeFor(serverNames),
      },
      upstreams: [...upstreams.values()].sort((a, b) => cmp(a.name, b.name)),
      defaultServer,
      servers: https.servers,
      certificates,
      addressLists: addressLists.lists(),
      authFiles: [...basicAuth.files(), ...digestAuth.files()].sort((a, b) => cmp(a.fileName, b.fileName)),
      ...(digestAuth.settings().length > 0 && { digestAuth: true as const }),
      ...(externalAuths.services().length > 0 && { authServices: externalAuths.services() }),
      ...(externalAuths.cacheUsed() && { authCache: true as const }),
      ...(mirrors.services().length > 0 && { mirrorServices: mirrors.services() }),
      ...(modsecurityModel !== undefined && { modsecurity: modsecurityModel }),
      clientCaFiles: clientCerts.caFiles(),
      upstreamTlsFiles: upstreamTls.files(),
      upstreamTlsPools: [...new Set(upstreamTls.settings().map((t) => t.pool))].sort(cmp),
      rateLimitKeys: rateLimits.keyList(),
      rateLimitZones: rateLimits.zoneList(),
      balancer: { ...config.upstreamKeepalive, mode: config.loadBalance },
      ...(redirectServers.length > 0 && { redirectServers }),
      ...(https.httpsRedirects.length > 0 && { httpsRedirects: https.httpsRedirects }),
      ...(stream !== undefined && { stream }),
    },
    diagnostics: sortedDiagnostics(diagnostics),
    ingresses: [...outcomes.values()].sort(
      (a, b) => cmp(a.ref.namespace, b.ref.namespace) || cmp(a.ref.name, b.ref.name),
    ),
    limits: { maxConfigBytes: config.tenancy.maxConfigBytes },
    routes,
    backendUses: backendUses.sort(
      (a, b) =>
        cmp(a.upstream, b.upstream) || cmp(refKey(a.object), refKey(b.object)) || cmp(a.field, b.field),
    ),
  });
}

/**
 * `result` with `objects`, made from `uses` when first read. Made here, not in translate's body: a getter
 * written there closes over translate's whole scope (V8 keeps one context per scope), so the served result
 * kept that translate's Service index, host plans and shared values alive until the next config was
 * served, and through the next build: 11.6 MiB in the 10,000-Ingress leader at rest, 42 MiB right after a
 * whole first build (bench/resting-heap.bench.ts).
 */
function withUsedObjects(uses: ObjectRef[], result: Omit<TranslateResult, 'objects'>): TranslateResult {
  let objects: readonly ObjectRef[] | undefined;
  return Object.defineProperty(result, 'objects', {
    get: () => (objects ??= usedObjects(uses.splice(0))),
    enumerable: true,
  }) as TranslateResult;
}

/** The objects of these uses, once each, sorted by refKey. */
function usedObjects(uses: readonly ObjectRef[]): ObjectRef[] {
  const byKey = new Map<string, ObjectRef>();
  for (const ref of uses) byKey.set(refKey(ref), ref);
  return [...byKey.entries()].sort(([a], [b]) => cmp(a, b)).map(([, ref]) => ref);
}

/** The ConfigMap a flag names (--configmap, --tcp-services-configmap, …), if the snapshot has it. */
function configMapNamed(snapshot: Snapshot, wanted: NamespacedName | undefined): V1ConfigMap | undefined {
  return wanted === undefined
    ? undefined
    : snapshot.configMaps.find(
        (c) => c.metadata?.namespace === wanted.namespace && c.metadata.name === wanted.name,
      );
}

/** TCP/UDP services and SSL passthrough; undefined when there are none. */
function streamModel(
  snapshot: Snapshot,
  options: TranslateOptions,
  hosts: readonly (readonly [string, HostPlan])[],
  services: ServiceIndex,
  report: (d: Diagnostic) => void,
  use: (ref: ObjectRef) => void,
): StreamConfig | undefined {
  const resolve = (namespace: string, ref: ServiceBackendRef) => services.resolve(namespace, ref);
  const reserved = new Set([
    options.listen.httpPort,
    options.listen.httpsPort,
    ...(options.reservedPorts ?? []),
  ]);
  const tcp = streamServices(
    'tcp',
    configMapNamed(snapshot, options.tcpServices),
    reserved,
    resolve,
    report,
    use,
  );
  const udp = streamServices(
    'udp',
    configMapNamed(snapshot, options.udpServices),
    reserved,
    resolve,
    report,
    use,
  );
  const passthrough =
    options.sslPassthrough === true
      ? passthroughRoutes(
          hosts.map(([host, plan]) => {
            const root = plan.claims.get(claimKey({ match: 'Prefix', path: '/' }));
            return {
              host,
              serverName: serverNameFor(host),
              contributors: plan.contributors.map((c) => ({
                ingress: c.ingress.ref,
                asks: c.settings.passthrough?.enabled === true,
              })),
              ...(root !== undefined && {
                root: {
                  ingress: root.owner.ingress.ref,
                  backend: root.rule.backend,
                  asks: root.owner.settings.passthrough?.enabled === true,
                },
              }),
            };
          }),
          resolve,
          report,
          use,
        )
      : { routes: [], upstreams: [] };
  const servers = [...tcp.servers, ...udp.servers].sort(
    (a, b) => cmp(a.protocol, b.protocol) || a.port - b.port,
  );
  if (servers.length === 0 && passthrough.routes.length === 0) return undefined;
  const upstreams = new Map(
    [...tcp.upstreams, ...udp.upstreams, ...passthrough.upstreams].map((u) => [u.name, u]),
  );
  return {
    ...(passthrough.routes.length > 0 && {
      passthrough: { routes: passthrough.routes.sort((a, b) => cmp(a.serverName, b.serverName)) },
    }),
    servers,
    upstreams: [...upstreams.values()].sort((a, b) => cmp(a.name, b.name)),
  };
}

/**
 * Keeps the Ingresses of our class that validate; reports the others of our class. With `verdicts` (the
 * memo's, valid while what a judgement reads besides the Ingress is the same), an Ingress judged before
 * (the same object, or a copy with the same content: ingress-content.ts) is not judged again: its
 * diagnostics are reported and its Contribution is the same object.
 */
function acceptIngresses(
  raw: readonly V1Ingress[],
  snapshot: Snapshot,
  options: TranslateOptions,
  config: Pick<GlobalConfig, 'tenancy' | 'annotations' | 'allowedResponseHeaders'>,
  report: (d: Diagnostic) => void,
  outcomes: Map<string, { ref: ObjectRef; outcome: IngressOutcome }>,
  verdicts: ByIngressContent<Verdict> | undefined,
): Contribution[] {
  const accepted: Contribution[] = [];
  const seen = new Set<string>();
  for (const ing of raw) {
    let verdict = verdicts?.get(ing);
    const key = verdict?.key ?? refKey(ingressRef(ing));
    if (seen.has(key)) continue; // duplicates are the source's to report
    seen.add(key);
    if (verdict === undefined) {
      verdict = judgeIngress(ing, key, snapshot, options, config);
      verdicts?.set(ing, verdict);
    }
    verdict.diagnostics.forEach(report);
    if (verdict.outcome !== undefined) outcomes.set(key, verdict.outcome);
    if (verdict.contribution !== undefined) accepted.push(verdict.contribution);
  }
  return accepted;
}

/** What acceptIngresses makes of one Ingress object (outcome undefined: not of our class). */
interface Verdict {
  readonly key: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly outcome?: { readonly ref: ObjectRef; readonly outcome: IngressOutcome };
  readonly contribution?: Contribution;
}

function judgeIngress(
  ing: V1Ingress,
  key: string,
  snapshot: Snapshot,
  options: TranslateOptions,
  {
    tenancy,
    annotations: policy,
    allowedResponseHeaders,
  }: Pick<GlobalConfig, 'tenancy' | 'annotations' | 'allowedResponseHeaders'>,
): Verdict {
  const ref = ingressRef(ing);
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => void diagnostics.push(d);
  const rejected = (): Verdict => ({ key, diagnostics, outcome: { ref, outcome: 'rejected' } });
  const className = ing.spec?.ingressClassName ?? undefined;
  const legacyClass = ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  const owner = ownership(
    { className: typeof className === 'string' ? className : undefined, legacyClass },
    snapshot.ingressClasses,
    options,
  );
  if (!owner.ours) return { key, diagnostics };
  const excluded = options.excluded.get(key);
  if (excluded !== undefined) {
    report({ severity: 'error', object: ref, field: '', reason: excluded });
    return rejected();
  }
  // Counted before the object is validated, so an oversized object costs no more than counting it.
  const oversize = oversized(ing, tenancy);
  if (oversize !== undefined) {
    report({ severity: 'error', object: ref, field: 'spec', reason: oversize });
    return rejected();
  }
  const once = parsedOnce(ing, ref, policy);
  if (!('annotations' in once)) {
    once.parsed.diagnostics.forEach(report);
    return rejected();
  }
  const { parsed, annotations } = once;
  annotations.diagnostics.forEach(report);
  if (
    annotations.diagnostics.some((d) => d.severity === 'error') ||
    !checkCaptures(parsed.ingress, annotations.settings.rewrite, report)
  ) {
    return rejected();
  }
  const snippetRefused = serverSnippetRefusal(
    parsed.ingress.rules.map((r) => r.host),
    annotations.settings.canary?.enabled === true,
    annotations.settings.snippet,
  );
  if (snippetRefused !== undefined) {
    report({ severity: 'error', object: ref, field: SERVER_SNIPPET_FIELD, reason: snippetRefused });
    return rejected();
  }
  if (annotations.settings.passthrough?.enabled === true && options.sslPassthrough !== true) {
    report({
      severity: 'error',
      object: ref,
      field: 'metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]',
      reason:
        'needs the controller flag --enable-ssl-passthrough; the Ingress is not served rather than served with its TLS terminated',
    });
    return rejected();
  }
  const headers = annotations.settings.headers;
  const custom =
    headers === undefined
      ? undefined
      : customHeaders(parsed.ingress, headers.configMap, snapshot.configMaps, allowedResponseHeaders, report);
  if (headers !== undefined && custom === undefined) {
    return rejected();
  }
  const fastcgi = fastcgiFor(parsed.ingress, annotations.settings, snapshot.configMaps, report);
  if (fastcgi === 'rejected') {
    return rejected();
  }
  return {
    key,
    diagnostics,
    outcome: { ref, outcome: 'served' },
    contribution: withClaims({
      ingress: parsed.ingress,
      settings: annotations.settings,
      ...(custom !== undefined && { customHeaders: custom }),
      ...(fastcgi !== undefined && { fastcgi }),
    }),
  };
}

/** The Contribution with its paths' claims (each claim's owner is the Contribution itself). */
function withClaims(parts: Omit<Contribution, 'claims'>): Contribution {
  const contribution: { -readonly [K in keyof Contribution]: Contribution[K] } = { ...parts, claims: [] };
  contribution.claims = parts.ingress.rules.map((rule) =>
    rule.paths.map((p) => {
      const match = matchPath(p, parts.settings.rewrite);
      return { key: claimKey(match.claim), claimed: { ...match, owner: contribution, rule: p } };
    }),
  );
  return contribution;
}

/**
 * parseIngress and parseAnnotations of an Ingress, made once per Ingress content and annotation policy:
 * an edit parses (zod) the edited Ingress only. Sources never change an object in place (a changed Ingress
 * is a new object), and a copy with the same content shares its spec (ingress-content.ts).
 */
function parsedOnce(ing: V1Ingress, ref: ObjectRef, policy: AnnotationPolicy): ParsedOnce {
  const hit = parsedIngresses.get(ing);
  if (hit?.policy.maxRisk === policy.maxRisk && hit.policy.allowSnippets === policy.allowSnippets) return hit;
  const parsed = parseIngress(ing);
  const entry: ParsedOnce = parsed.ok
    ? { policy, parsed, annotations: parseAnnotations(ref, parsed.ingress.annotations, policy) }
    : { policy, parsed };
  parsedIngresses.set(ing, entry);
  return entry;
}

type ParsedOnce = { readonly policy: AnnotationPolicy } & (
  | { readonly parsed: Extract<ParseResult, { ok: true }>; readonly annotations: AnnotationResult }
  | { readonly parsed: Extract<ParseResult, { ok: false }> }
);

const parsedIngresses = new ByIngressContent<ParsedOnce>();

/** Why an Ingress lists more paths or hosts than one Ingress may, or undefined. */
function oversized(ing: V1Ingress, tenancy: Tenancy): string | undefined {
  const rules = Array.isArray(ing.spec?.rules) ? ing.spec.rules : [];
  const paths = rules.reduce((n, r) => n + (Array.isArray(r.http?.paths) ? r.http.paths.length : 0), 0);
  if (paths > tenancy.maxPathsPerIngress)
    return `lists ${paths} paths; an Ingress may list at most ${tenancy.maxPathsPerIngress} (ConfigMap max-paths-per-ingress)`;
  const tls = Array.isArray(ing.spec?.tls) ? ing.spec.tls : [];
  const hosts = new Set<unknown>([
    ...rules.map((r) => r.host).filter((h) => typeof h === 'string' && h !== ''),
    ...tls.flatMap((t) => (Array.isArray(t.hosts) ? t.hosts : [])),
  ]);
  if (hosts.size > tenancy.maxHostsPerIngress)
    return `lists ${hosts.size} hosts; an Ingress may list at most ${tenancy.maxHostsPerIngress} (ConfigMap max-hosts-per-ingress)`;
  return undefined;
}

function claimPaths(
  contribution: Contribution,
  hosts: Map<string, HostPlan>,
  report: (d: Diagnostic) => void,
  tenancy: Tenancy,
): void {
  const { ingress } = contribution;
  for (let r = 0; r < ingress.rules.length; r++) {
    const rule = ingress.rules[r] as (typeof ingress.rules)[number];
    const claims = contribution.claims[r] ?? [];
    let plan = hosts.get(rule.host);
    if (plan === undefined) {
      plan = { claims: new Map(), contributors: [] };
      hosts.set(rule.host, plan);
    }
    const owner = plan.contributors[0]?.ingress.ref;
    if (tenancy.hostNamespaceIsolation && owner !== undefined && owner.namespace !== ingress.ref.namespace) {
      report({
        severity: 'warning',
        object: ingress.ref,
        field: `spec.rules[${r}].host`,
        reason: `host ${rule.host === '' ? '(any)' : rule.host} belongs to an older Ingress in another namespace (host-namespace-isolation is on); this rule is not served`,
        conflict: true,
      });
      continue;
    }
    const snippetConflict = serverSnippetConflict(
      rule.host,
      contribution,
      plan.snippetOwner,
      plan.contributors,
      olderIngress,
    );
    if (snippetConflict !== undefined) {
      report({
        severity: 'warning',
        object: ingress.ref,
        field: `spec.rules[${r}].host`,
        reason: snippetConflict,
        conflict: true,
      });
      continue;
    }
    if (!plan.contributors.includes(contribution)) plan.contributors.push(contribution);
    if (plan.snippetOwner === undefined && contribution.settings.snippet?.server !== undefined)
      claimSnippetLocations(contribution, plan, rule.host, report);
    for (const { key, claimed } of claims) {
      const { claim, rule: p } = claimed;
      const holder = plan.claims.get(key);
      const nested = plan.nested?.get(key);
      if (nested !== undefined) {
        const mine = plan.snippetOwner === contribution;
        report({
          severity: 'warning',
          object: ingress.ref,
          field: `${p.field}.path`,
          reason: `${claim.match} path ${claim.path} on host ${rule.host} is answered by ${nestedName(nested)} of the server-snippet of ${mine ? 'this Ingress' : olderIngress(plan.snippetOwner?.ingress.ref ?? ingress.ref, ingress.ref)}; this path is not served`,
          ...(!mine && { conflict: true }),
        });
      } else if (holder === undefined) {
        plan.claims.set(key, claimed);
      } else if (holder.owner !== contribution) {
        const h = holder.owner.ingress.ref;
        report({
          severity: 'warning',
          object: ingress.ref,
          field: `${p.field}.path`,
          reason: `${claim.match} path ${claim.path} on host ${rule.host === '' ? '(any)' : rule.host} is already served by ${olderIngress(h, ingress.ref)}; this path is not served`,
          conflict: true,
        });
      }
    }
  }
}

/** Makes `contribution` the host's server-snippet owner and claims its snippet's locations as its paths. */
function claimSnippetLocations(
  contribution: Contribution,
  plan: HostPlan,
  host: string,
  report: (d: Diagnostic) => void,
): void {
  plan.snippetOwner = contribution;
  plan.nested = new Map();
  for (const location of contribution.settings.snippet?.server?.locations ?? []) {
    const nested = { claim: { match: location.match, path: location.path }, location };
    // Claimed before the Ingress's own paths: every claim so far is another Ingress's.
    const holder = [...plan.claims.values()].find((c) => fallsUnder(nested.claim, c.claim));
    if (holder === undefined) plan.nested.set(claimKey(nested.claim), nested);
    else
      report({
        severity: 'warning',
        object: contribution.ingress.ref,
        field: SERVER_SNIPPET_FIELD,
        reason: `${nestedName(nested)} on host ${host} would take requests for ${holder.claim.match} path ${holder.claim.path} of ${olderIngress(holder.owner.ingress.ref, contribution.ingress.ref)}; this location is not used`,
        conflict: true,
      });
  }
}

/**
 * How a conflict names the Ingress that won it: by name within a namespace, but never another tenant's
 * namespace and Ingress names, which are not the loser's to know.
 */
export function olderIngress(winner: ObjectRef, loser: ObjectRef): string {
  return winner.namespace === loser.namespace
    ? `the older Ingress ${winner.namespace}/${winner.name}`
    : 'an older Ingress in another namespace';
}

type ResolveAction = (
  namespace: string,
  ref: ServiceBackendRef,
  who: ObjectRef,
  field: string,
  options?: { readonly unavailable?: string; readonly serviceUpstream?: boolean },
) => Action;

function globalDefaultAction(
  options: TranslateOptions,
  services: ServiceIndex,
  resolveAction: ResolveAction,
  report: (d: Diagnostic) => void,
): GlobalDefault {
  const dbs = options.defaultBackendService;
  if (dbs === undefined)
    return { action: { kind: 'status', code: 404 }, source: 'no default backend', route: NO_ROUTE };
  const who: ObjectRef = { kind: 'Service', namespace: dbs.namespace, name: dbs.name };
  const svc = services.lookupService(dbs.namespace, dbs.name);
  const port = svc?.spec?.ports?.[0]?.port;
  if (port === undefined) {
    report({
      severity: 'warning',
      object: who,
      field: '',
      reason: 'default backend Service does not exist or has no port; requests get 503',
    });
    return {
      action: { kind: 'status', code: 503 },
      source: 'default backend service',
      route: { ...NO_ROUTE, namespace: dbs.namespace, service: dbs.name },
    };
  }
  return {
    action: resolveAction(dbs.namespace, { service: dbs.name, port: { number: port } }, who, 'spec.ports[0]'),
    source: `default backend service ${dbs.namespace}/${dbs.name}`,
    route: { ...NO_ROUTE, namespace: dbs.namespace, service: dbs.name, servicePort: String(port) },
  };
}

/** The global default backend: what it does, its comment, and its route (less the host). */
interface GlobalDefault {
  readonly action: Action;
  readonly source: string;
  readonly route: Route;
}

function routeTo(
  host: string,
  ingress: ParsedIngress,
  backend: ServiceBackendRef,
  rule: { path: string; pathType: string; field: string },
): Route {
  return {
    host,
    namespace: ingress.ref.namespace,
    ingress: ingress.ref.name,
    path: rule.path,
    pathType: rule.pathType,
    field: rule.field,
    service: backend.service,
    servicePort: 'number' in backend.port ? interned(String(backend.port.number)) : backend.port.name,
  };
}

/** A location's settings from the annotations of the Ingress that owns it (none: the defaults). */
function settingsFor(
  context: ServerContext,
  owner: Contribution | undefined,
  hostHasTls: boolean,
  path?: PathMatch,
): LocationSettings {
  const { config, addressLists, rateLimits, basicAuth, digestAuth, upstreamTls } = context;
  const annotations = owner?.settings ?? {};
  const digest = annotations.basicAuth?.type === 'digest';
  const auth =
    owner === undefined || annotations.basicAuth === undefined
      ? undefined
      : (digest ? digestAuth : basicAuth).resolve(owner.ingress.ref, annotations.basicAuth);
  const external = externalAuthFor(context, owner, path);
  // Each collector is asked only when the Ingress has the annotation, as the others are: a host built for
  // the memo records every call to replay it, and a call that does nothing would be kept all the same.
  const modsecurity =
    owner === undefined || annotations.modsecurity === undefined
      ? undefined
      : context.modsecurity.forLocation(owner.ingress.ref, annotations.modsecurity);
  const check = external === undefined || 'denied' in external ? undefined : external;
  const mirror =
    owner === undefined || annotations.mirror === undefined
      ? undefined
      : context.mirrors.resolve(owner.ingress.ref, annotations.mirror);
  const limits =
    owner === undefined || annotations.rateLimit === undefined
      ? undefined
      : rateLimits.forIngress(owner.ingress.ref, annotations.rateLimit);
  const tls =
    owner === undefined || annotations.proxySsl === undefined
      ? undefined
      : upstreamTls.resolve(owner.ingress.ref, annotations.proxySsl);
  const denied = [auth, external, tls].flatMap((a) =>
    a !== undefined && 'denied' in a ? [a.denied] : [],
  )[0];
  const redirect = annotations.redirect ?? {};
  const allow = annotations.sourceRange?.allow ?? config.locationDefaults.allowSourceRanges;
  // Allowlist or credentials: only meaningful when there are both.
  const satisfyAny =
    annotations.sourceRange?.satisfy === 'any' &&
    allow.length > 0 &&
    denied === undefined &&
    ((auth !== undefined && !('denied' in auth)) || check !== undefined);
  const deny = annotations.sourceRange?.deny ?? config.locationDefaults.denySourceRanges;
  const upstream = annotations.upstream ?? {};
  const snippet = annotations.snippet?.location;
  const snippetRules = snippet === undefined ? undefined : snippetSettings(snippet);
  const headers: ProxyHeaderOverrides = {
    ...(upstream.vhost !== undefined && { host: upstream.vhost }),
    ...(upstream.connection !== undefined && { connection: upstream.connection }),
    ...path?.proxyHeaders,
    ...(check !== undefined &&
      check.responseHeaders.length > 0 && { authResponseHeaders: check.responseHeaders }),
    ...(snippet !== undefined && snippet.requestHeaders.length > 0 && { extra: snippet.requestHeaders }),
  };
  const sslRedirect =
    (hostHasTls && (redirect.sslRedirect ?? config.locationDefaults.sslRedirect)) ||
    redirect.forceSslRedirect === true;
  const portInRedirects = redirect.portInRedirects ?? config.global.portInRedirects;
  return {
    sslRedirect,
    ...(sslRedirect && portInRedirects && { sslRedirectPort: true as const }),
    ...(redirect.preserveTrailingSlash === true && { preserveTrailingSlash: true as const }),
    ...(redirect.relative === true && { relativeRedirects: true as const }),
    ...(portInRedirects !== config.global.portInRedirects && { portInRedirects }),
    ...(path?.rewrite !== undefined && { rewrite: path.rewrite }),
    ...(Object.keys(headers).length > 0 && { proxyHeaders: headers }),
    proxy: proxyDifferences(annotations.proxy ?? {}, config.global.proxy),
    ...(config.global.accessLog && annotations.log?.accessLog === false && { accessLogOff: true as const }),
    refuseClients: [
      ...(deny.length > 0 ? [addressLists.refuse(deny)] : []),
      ...(allow.length > 0 && !satisfyAny ? [addressLists.admitOnly(allow)] : []),
    ],
    ...(satisfyAny && { satisfyAny: { allow } }),
    ...(limits !== undefined && { limits }),
    ...(auth !== undefined && !('denied' in auth) && (digest ? { digestAuth: auth } : { basicAuth: auth })),
    ...(check !== undefined && { externalAuth: check }),
    ...(tls !== undefined && !('denied' in tls) && { upstreamTls: tls }),
    ...(mirror !== undefined && { mirror }),
    ...(owner?.fastcgi !== undefined && { fastcgi: owner.fastcgi }),
    ...(modsecurity !== undefined && { modsecurity }),
    ...(snippetRules !== undefined && { snippet: snippetRules }),
    ...(denied !== undefined && { denied }),
    ...responseHeadersFor(
      annotations,
      snippet === undefined || snippet.responseHeaders.length === 0
        ? owner?.customHeaders
        : mergeHeaders(owner?.customHeaders ?? [], snippet.responseHeaders),
      check,
    ),
  };
}

/**
 * The auth check of a location: its Ingress's auth-url, else the ConfigMap's global auth unless the
 * Ingress opts out or the path is one of no-auth-locations.
 */
function externalAuthFor(
  { config, externalAuths, globalAuthOwner }: ServerContext,
  owner: Contribution | undefined,
  path: PathMatch | undefined,
): ExternalAuth | { denied: string } | undefined {
  if (owner === undefined) return undefined;
  const own = owner.settings.externalAuth;
  if (own?.service !== undefined)
    return externalAuths.resolve(
      owner.ingress.ref,
      `metadata.annotations[${ANNOTATION_PREFIX}auth-url]`,
      own.service,
    );
  const global = config.globalAuth;
  if (global === undefined || own?.globalAuth === false) return undefined;
  const served = path?.claim.path ?? '/';
  if (config.noAuthLocations.some((prefix) => served.startsWith(prefix))) return undefined;
  if ('invalid' in global) return { denied: `global auth is misconfigured: ${global.invalid}` };
  return externalAuths.resolve(globalAuthOwner, 'data.global-auth-url', global);
}

function responseHeadersFor(
  annotations: IngressAnnotations,
  custom: Contribution['customHeaders'],
  check: ExternalAuth | undefined,
): Pick<LocationSettings, 'responseHeaders'> {
  const cors = annotations.cors === undefined ? undefined : corsSettings(annotations.cors);
  if (cors === undefined && (custom === undefined || custom.length === 0) && check === undefined) return {};
  return {
    responseHeaders: {
      ...(cors !== undefined && { cors }),
      ...(custom !== undefined && custom.length > 0 && { custom }),
      ...(check !== undefined && {
        authCookie: check.alwaysSetCookie ? ('always' as const) : ('success' as const),
      }),
    },
  };
}

/**
 * The proxy fields an Ingress sets to something else than the http block: what its locations print.
 * `proxy_buffers` names both the count and the size, so a change to either prints both.
 */
function proxyDifferences(wanted: Partial<ProxyTuning>, inherited: ProxyTuning): Partial<ProxyTuning> {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const diff: Record<string, unknown> = Object.fromEntries(
    Object.entries(wanted).filter(([k, v]) => !same(v, inherited[k as keyof ProxyTuning])),
  );
  if ('bufferSize' in diff || 'buffersNumber' in diff) {
    diff['bufferSize'] = wanted.bufferSize ?? inherited.bufferSize;
    diff['buffersNumber'] = wanted.buffersNumber ?? inherited.buffersNumber;
  }
  return diff;
}

function withProtocol(action: Action, annotations: IngressAnnotations): Action {
  const protocol = annotations.upstream?.protocol;
  return action.kind === 'proxy' && protocol !== undefined ? { ...action, protocol } : action;
}

/**
 * Marks a proxy location whose 503 for a backend without endpoints must come from its rewrite phase
 * (`Action.checkEndpoints`): the local 503 listener speaks only plain HTTP/1.1 and h2c, the rewrite step
 * picks a policy's backend first, and an error page that does not intercept the pods' answers applies only
 * to NGINX's own 503.
 */
function withEndpointCheck(action: Action, settings: LocationSettings): Action {
  if (action.kind !== 'proxy') return action;
  const needed =
    action.policy !== undefined ||
    (action.protocol !== 'HTTP' && action.protocol !== 'GRPC') ||
    (settings.errorPages !== undefined && !settings.errorPages.intercept);
  return needed ? { ...action, checkEndpoints: true } : action;
}

/** What every server block is built with. */
interface ServerContext {
  readonly config: GlobalConfig;
  readonly globalDefault: GlobalDefault;
  readonly resolveAction: ResolveAction;
  /** File name of the certificate for hosts without one of their own. */
  readonly defaultCertificate: string;
  /** Records a route; returns its index. */
  readonly addRoute: (route: Route) => number;
  readonly addressLists: AddressLists;
  readonly rateLimits: RateLimits;
  readonly basicAuth: BasicAuthFiles;
  readonly digestAuth: DigestAuthFiles;
  readonly clientCerts: ClientCerts;
  readonly upstreamTls: UpstreamTlsFiles;
  /** The canary each main path shares its traffic with. */
  readonly canaries: ReadonlyMap<ClaimedPath, CanaryAttachment>;
  readonly externalAuths: ExternalAuths;
  readonly mirrors: Mirrors;
  readonly modsecurity: ModSecurityFiles;
  /** Who global auth's problems are reported on: the controller ConfigMap. */
  readonly globalAuthOwner: ObjectRef;
  readonly resolveService: ResolveService;
  readonly report: (d: Diagnostic) => void;
  /** Equal actions and settings of this translate's locations, as one object each. */
  readonly shared: SharedValues;
}

function buildServer(
  host: string,
  plan: HostPlan,
  certificate: string | undefined,
  fallback: Contribution | undefined,
  context: ServerContext,
  extras: ServerExtras = {},
): Server {
  const { globalDefault, resolveAction, defaultCertificate, addRoute } = context;
  const hasTls = certificate !== undefined;
  const nested = [...(plan.nested?.values() ?? [])];
  const exactPaths = new Set(
    [...plan.claims.values(), ...nested].filter((c) => c.claim.match === 'Exact').map((c) => c.claim.path),
  );
  const regexHost =
    [...plan.claims.values()].some((c) => c.regex) || nested.some((n) => n.claim.match === 'Regex');
  const errorPages = new ErrorPagesBuilder(context.resolveService, globalDefault.action, context.report);
  const locations: Location[] = [];
  for (const claimed of plan.claims.values()) {
    const { ingress, settings: annotations } = claimed.owner;
    const { rule } = claimed;
    const pages = errorPages.forPath(ingress, annotations.errors, rule.backend);
    const settings: LocationSettings = {
      ...settingsFor(context, claimed.owner, hasTls, claimed),
      ...(pages !== undefined && { errorPages: pages }),
    };
    // permanent-/temporal-redirect answers instead of the Service, which then needs no endpoints.
    const redirect = annotations.redirect?.redirect;
    const action: Action =
      redirect !== undefined
        ? { kind: 'redirect', ...redirect }
        : withProtocol(
            withBalancing(
              withCanary(
                resolveAction(ingress.ref.namespace, rule.backend, ingress.ref, `${rule.field}.backend`, {
                  serviceUpstream: annotations.balance?.serviceUpstream === true,
                }),
                context.canaries.get(claimed),
                resolveAction,
              ),
              annotations,
              context.config.loadBalance,
              host,
              claimed.claim,
            ),
            annotations,
          );
    const route = addRoute(routeTo(host, ingress, rule.backend, rule));
    for (const loc of locationsFor(claimed.claim, exactPaths, regexHost)) {
      locations.push({
        ...loc,
        source: interned(`ingress ${ingress.ref.namespace}/${ingress.ref.name}`),
        action,
        settings,
        route,
      });
    }
  }
  const snippetOwner = plan.snippetOwner;
  for (const n of nested) {
    if (snippetOwner === undefined) break;
    const { ref } = snippetOwner.ingress;
    const settings = nestedSettings(settingsFor(context, undefined, hasTls), n.location);
    const route = addRoute({
      ...NO_ROUTE,
      host,
      namespace: ref.namespace,
      ingress: ref.name,
      path: n.claim.path,
      field: SERVER_SNIPPET_FIELD,
    });
    for (const loc of locationsFor(n.claim, exactPaths, regexHost))
      locations.push({
        ...loc,
        source: interned(`ingress ${ref.namespace}/${ref.name} server-snippet`),
        action: { kind: 'status', code: 404, afterAccess: true },
        settings,
        route,
      });
  }
  if (!locations.some((l) => l.modifier === '' && l.path === '/')) {
    // Paths no rule matches: the Ingress defaultBackend, else the global default backend, else 404.
    const backend = fallback?.ingress.defaultBackend;
    if (fallback !== undefined && backend !== undefined) {
      const { ingress, settings: annotations } = fallback;
      locations.push({
        modifier: '',
        path: '/',
        source: interned(`ingress ${ingress.ref.namespace}/${ingress.ref.name} defaultBackend`),
        action: withProtocol(
          resolveAction(ingress.ref.namespace, backend, ingress.ref, 'spec.defaultBackend', {
            serviceUpstream: annotations.balance?.serviceUpstream === true,
          }),
          annotations,
        ),
        settings: settingsFor(context, fallback, hasTls),
        route: addRoute(
          routeTo(host, ingress, backend, { path: '', pathType: '', field: 'spec.defaultBackend' }),
        ),
      });
    } else {
      locations.push({
        modifier: '',
        path: '/',
        source: globalDefault.source,
        action: globalDefault.action,
        // The host's catch-all follows the oldest contributing Ingress's annotations (e.g. ssl-redirect).
        settings: settingsFor(context, plan.contributors[0], hasTls),
        route: addRoute({ ...globalDefault.route, host }),
      });
    }
  }
  const clientAuth = plan.contributors.some((c) => c.settings.clientCert !== undefined)
    ? context.clientCerts.forHost(host, plan.contributors)
    : undefined;
  const hostTls = serverTls(extras, context.config.global.sslCiphers);
  const serverSnippet = snippetOwner?.settings.snippet?.server;
  const serverRules = serverSnippet === undefined ? undefined : snippetSettings(serverSnippet);
  // Equal actions and settings are one object each (most locations have the defaults): see SharedValues.
  const served = locations.map((l) => {
    const settings = withClientCert(l.settings, clientAuth);
    return {
      ...l,
      action: context.shared.of(withEndpointCheck(l.action, settings)),
      settings: context.shared.of(
        serverSnippet === undefined ? settings : withServerHeaders(settings, serverSnippet),
      ),
    };
  });
  served.sort(compareLocations);
  const mirrors = new Map(
    served.flatMap((l) =>
      l.settings.mirror === undefined ? [] : [[l.settings.mirror.id, l.settings.mirror]],
    ),
  );
  const checks = new Map(
    served.flatMap((l) =>
      l.settings.externalAuth === undefined ? [] : [[l.settings.externalAuth.id, l.settings.externalAuth]],
    ),
  );
  return {
    host,
    serverName: serverNameFor(host),
    sources: [
      ...new Set(
        plan.contributors.map((c) => interned(`ingress ${c.ingress.ref.namespace}/${c.ingress.ref.name}`)),
      ),
    ].sort(),
    certificate: certificate ?? defaultCertificate,
    hasTls,
    ...(clientAuth !== undefined && 'auth' in clientAuth && { clientAuth: clientAuth.auth }),
    ...(hostTls !== undefined && { tls: hostTls }),
    ...(((clientAuth !== undefined && 'auth' in clientAuth) || hostTls !== undefined) && {
      ownSslContext: true as const,
    }),
    locations: served,
    ...(errorPages.locations().length > 0 && { errorLocations: errorPages.locations() }),
    ...(checks.size > 0 && { authChecks: [...checks.values()].sort((a, b) => cmp(a.id, b.id)) }),
    ...(mirrors.size > 0 && { mirrors: [...mirrors.values()].sort((a, b) => cmp(a.id, b.id)) }),
    // A wildcard alias means one label, as a wildcard host does.
    ...(extras.aliases !== undefined && { aliases: extras.aliases.map(serverNameFor) }),
    ...(extras.appRoot !== undefined && { appRoot: extras.appRoot }),
    ...(serverRules !== undefined && { snippet: serverRules }),
  };
}

/**
 * What a host's build reads of its plan, as items compared by identity (translate-memo.ts), each given to
 * `item` in order until it returns false (so a lookup compares without making the list): its certificate,
 * fallback and server-scope extras, its Ingresses (parsed once per object: the same object gives the same
 * parse) and each claim with its owner, rule and canary. Returns whether every item was taken.
 */
function hostKey(
  plan: HostPlan,
  certificate: string | undefined,
  fallback: Contribution | undefined,
  extras: ServerExtras | undefined,
  canaries: ReadonlyMap<ClaimedPath, CanaryAttachment>,
  item: (value: unknown) => boolean,
): boolean {
  if (
    !item(certificate) ||
    !item(fallback?.ingress) ||
    !item(plan.snippetOwner?.ingress) ||
    !item(extras === undefined ? undefined : JSON.stringify(extras)) ||
    !item(plan.contributors.length) ||
    !plan.contributors.every((c) => item(c.ingress)) ||
    !item(plan.claims.size)
  )
    return false;
  for (const [claimed, claim] of plan.claims) {
    const canary = canaries.get(claim);
    if (
      !item(claimed) ||
      !item(claim.owner.ingress) ||
      !item(claim.rule) ||
      !item(canary?.ingress) ||
      !item(canary?.path)
    )
      return false;
  }
  for (const claimed of plan.nested?.keys() ?? []) if (!item(claimed)) return false;
  return true;
}

/** The collectors a host's build adds to (the rest of the context is read only). */
const COLLECTORS = [
  'addressLists',
  'rateLimits',
  'basicAuth',
  'digestAuth',
  'clientCerts',
  'upstreamTls',
  'externalAuths',
  'mirrors',
  'modsecurity',
] as const satisfies readonly (keyof ServerContext)[];

/**
 * The context hosts are built with for the memo: its collectors' calls are logged, to replay, to the host
 * being built. Made once per translate.
 */
function recording(context: ServerContext, record: (effect: HostEffect) => void): ServerContext {
  return {
    ...context,
    ...Object.fromEntries(COLLECTORS.map((c) => [c, recordedCalls(c, context[c], record)])),
  };
}

/** Makes a logged collector call again, on this translate's collector. */
function replayCall(context: ServerContext, effect: Extract<HostEffect, { kind: 'call' }>): void {
  const target = context[effect.collector as (typeof COLLECTORS)[number]];
  Reflect.apply(
    Reflect.get(target, effect.method) as (...args: readonly unknown[]) => unknown,
    target,
    effect.args,
  );
}

/**
 * The smallest `server_names_hash_bucket_size` that holds the longest exact server name. NGINX refuses the
 * whole config otherwise ("could not build server_names_hash"), so one long, valid host (up to 253
 * characters) would stop every change. A bucket must hold one entry (a pointer, then the name and two
 * bytes of length, aligned to a pointer) and the pointer that ends the bucket; powers of two, as NGINX
 * rounds to cache lines anyway.
 */
export function serverNamesBucketFor(serverNames: readonly string[]): number {
  const pointer = 8;
  const longest = serverNames.reduce((max, n) => (n.startsWith('~') ? max : Math.max(max, n.length)), 0);
  const entry = pointer + Math.ceil((longest + 2) / pointer) * pointer;
  let size = 32;
  while (size < entry + pointer) size *= 2;
  return size;
}

/**
 * The largest server_names hash NGINX may try: 4096, or 4 slots per name beyond 1,024 names, so that at
 * 10,000 hosts NGINX still finds a table where every bucket fits (else it warns and builds a slow one).
 */
export function serverNamesMaxSizeFor(serverNames: readonly string[]): number {
  return Math.max(4096, 4 * serverNames.length);
}

/** NGINX's `*.example.com` would match any depth; Kubernetes means exactly one label, so use a regex. */
function serverNameFor(host: string): string {
  if (host === '') return '_';
  if (!host.startsWith('*.')) return host;
  return `~^[^.]+${host.slice(1).replace(/\./g, '\\.')}$`;
}
