/**
 * The NGINX model: everything `render` needs and nothing it must decide. `translate` builds it from a
 * snapshot; every string in it has already passed a strict schema, and every list is sorted.
 */

export interface Endpoint {
  /** An IPv4 address, an IPv6 address (unbracketed) or a DNS name (ExternalName Services only). */
  readonly host: string;
  readonly port: number;
}

export interface Upstream {
  /** `<namespace>_<service>_<port>`: `_` cannot occur in Kubernetes names, so the name is unambiguous. */
  readonly name: string;
  /** Human-readable origin, printed as a comment: `service default/coffee port 80`. */
  readonly source: string;
  readonly endpoints: readonly Endpoint[];
  /**
   * The Service port it was resolved from: what src/translate/endpoint-refresh.ts resolves again when only
   * EndpointSlices changed, without translating everything.
   */
  readonly backend?: UpstreamBackend;
}

/** A Service port an upstream's endpoints come from (`clusterIp`: service-upstream, the cluster IP). */
export interface UpstreamBackend {
  readonly namespace: string;
  readonly service: string;
  readonly port: { readonly number: number } | { readonly name: string };
  readonly clusterIp: boolean;
}

/** ingress-nginx's `backend-protocol` values Gatehouse speaks; AUTO_HTTP follows the client's scheme. */
export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS' | 'AUTO_HTTP' | 'FCGI';

/**
 * A canary backend sharing a location's traffic (canary-* annotations). It travels in the dynamic state,
 * under the location's `policy`, where lua/gatehouse/balancer.lua reads it: it changes without a reload.
 */
export interface CanaryRoute {
  /** The canary's upstream name. */
  readonly backend: string;
  /** Requests out of `weightTotal` that go to the canary. */
  readonly weight: number;
  readonly weightTotal: number;
  /**
   * Validated header name whose value `always` (or `headerValue`, ingress-nginx's basic characters; or a
   * match of the PCRE `headerPattern`, its regex characters) sends to the canary, `never` keeps off it.
   */
  readonly header?: string;
  readonly headerValue?: string;
  readonly headerPattern?: string;
  /** Cookie whose value `always` sends to the canary and `never` keeps off it. */
  readonly cookie?: string;
  /**
   * `affinity-canary-behavior: legacy`: the canary keeps no sessions (it sets no affinity cookie, and one
   * it set before is not followed), so a client leaves it as soon as header, cookie or weight no longer
   * send it there. Without it (ingress-nginx's `sticky`), a session that began on the canary stays there.
   */
  readonly legacyAffinity?: true;
}

/** Cookie session affinity (affinity: cookie), read by the Lua balancer from the dynamic state. */
export interface Affinity {
  /** `balanced` (ingress-nginx's default) rebalances some sessions when pods are added; `persistent` never. */
  readonly mode: 'balanced' | 'persistent';
  /** Validated cookie name, path (`/…` of safe characters) and domain. */
  readonly cookieName: string;
  readonly path: string;
  readonly domain?: string;
  readonly maxAgeSeconds?: number;
  /** Seconds from the answer until the cookie's Expires. */
  readonly expiresSeconds?: number;
  readonly sameSite?: 'None' | 'Lax' | 'Strict';
  /** Omit `SameSite=None` for browsers known to reject such cookies. */
  readonly conditionalSameSiteNone: boolean;
  /** Unset: Secure on HTTPS requests. */
  readonly secure?: boolean;
  /** After a failed try, the next pod becomes the session's (else the cookie keeps the first one). */
  readonly changeOnFailure: boolean;
}

/** `load-balance`: how the Lua balancer picks a pod. */
export type LoadBalance = 'round_robin' | 'ewma';

/** A piece of an upstream-hash-by key: an NGINX variable (validated name) or literal text. */
export type HashKeyPart = { readonly variable: string } | { readonly text: string };

/** How a location's pod is picked, where it differs from the http level's `balancer.mode`. */
export interface Balancing {
  readonly mode?: LoadBalance;
  /** Consistent hashing on this key (upstream-hash-by); wins over `mode`. */
  readonly hashBy?: readonly HashKeyPart[];
  /** upstream-hash-by-subset: the key picks a group of this many pods. */
  readonly subsetSize?: number;
}

export type Action =
  | {
      readonly kind: 'proxy';
      readonly upstream: string;
      readonly protocol: BackendProtocol;
      /**
       * `policy_<digest of host and path>`, stable while the location exists: the name its canary,
       * affinity and balancing have in the dynamic state. Set when any is.
       */
      readonly policy?: string;
      readonly canary?: CanaryRoute;
      readonly affinity?: Affinity;
      readonly balancing?: Balancing;
      /**
       * The 503 for a backend without a ready endpoint is answered by Lua in this location's rewrite phase.
       * Elsewhere the balancer sends such a request to a local listener that answers 503 (no Lua per
       * request); it cannot stand in for a policy (canary, affinity, balancing), a TLS or FastCGI backend,
       * or an error page for NGINX's own 503 that does not intercept the pods' answers (see
       * `withEndpointCheck` in translate.ts).
       */
      readonly checkEndpoints?: true;
    }
  | {
      readonly kind: 'status';
      readonly code: 404 | 503;
      /**
       * Answered in the content phase, after allow/deny (a server-snippet's location without `return`):
       * `return` would answer before them.
       */
      readonly afterAccess?: true;
    }
  /** permanent-/temporal-redirect: `url` is an absolute http(s) URL rebuilt from its parts. */
  | { readonly kind: 'redirect'; readonly code: number; readonly url: string };

/**
 * How NGINX talks to the pods. The http block sets every field (the defaults, from the ConfigMap); a
 * location carries only the fields its Ingress changes, so it prints only what differs. Sizes are NGINX
 * sizes (`1m`, `512k`, `0`); lists are plain NGINX tokens.
 */
export interface ProxyTuning {
  readonly connectTimeoutSeconds: number;
  readonly readTimeoutSeconds: number;
  readonly sendTimeoutSeconds: number;
  /** `client_max_body_size`; `0` is unlimited. */
  readonly bodySize: string;
  readonly clientBodyBufferSize: string;
  readonly buffering: boolean;
  readonly requestBuffering: boolean;
  /** `proxy_buffer_size`, also the size of each of the `buffersNumber` `proxy_buffers`. */
  readonly bufferSize: string;
  readonly buffersNumber: number;
  readonly busyBuffersSize?: string;
  readonly maxTempFileSize: string;
  readonly httpVersion: '1.0' | '1.1';
  /** `proxy_next_upstream` conditions, or `off`. */
  readonly nextUpstream: readonly string[];
  /** 0: no limit. */
  readonly nextUpstreamTimeoutSeconds: number;
  /** 0: no limit. */
  readonly nextUpstreamTries: number;
  /** `off`, or what to replace and its replacement. */
  readonly cookieDomain: readonly string[];
  readonly cookiePath: readonly string[];
  /** `proxy_redirect`: `off`, `default`, or what to replace and its replacement. */
  readonly redirect: readonly string[];
}

/** `rewrite-target`: the URI is replaced before proxying when `regex` (PCRE, case-insensitive) matches. */
export interface Rewrite {
  /** A validated regex path (src/translate/path-regex.ts), anchored at the start when printed. */
  readonly regex: string;
  /** Path characters and `$1`…`$9`. */
  readonly target: string;
}

/**
 * Request headers a location sets differently from the http block. NGINX inherits `proxy_set_header`
 * only into a level that sets none, so a location with any override repeats the whole set.
 */
export interface ProxyHeaderOverrides {
  /** `X-Forwarded-Prefix`, sent with rewritten requests: path characters and `$1`…`$9`. */
  readonly forwardedPrefix?: string;
  /** `Host` (`upstream-vhost`): a host name or address, with an optional port. */
  readonly host?: string;
  /** `Connection` (`connection-proxy-header`): `close` or `keep-alive`. */
  readonly connection?: string;
  /** The client certificate's verdict and names (ssl-client-*), and with `certificate` the PEM itself. */
  readonly clientCertificate?: 'verdict' | 'certificate';
  /** More request headers (configuration-snippet's proxy_set_header): names and plain values. */
  readonly extra?: readonly { readonly name: string; readonly value: string }[];
  /** Headers of the auth service's answer (`ExternalAuth.responseHeaders`), passed on to the pods. */
  readonly authResponseHeaders?: readonly string[];
}

/** Per-concern settings of one location. */
export interface LocationSettings {
  readonly sslRedirect: boolean;
  /** The HTTPS redirect names the HTTPS port (when not 443): use-port-in-redirects, here or in the ConfigMap. */
  readonly sslRedirectPort?: true;
  /** `port_in_redirect` where it differs from the http block's (use-port-in-redirects). */
  readonly portInRedirects?: boolean;
  /** The HTTPS redirect keeps a trailing `/` (ingress-nginx drops it unless preserve-trailing-slash). */
  readonly preserveTrailingSlash?: true;
  /** Redirects NGINX issues here carry a relative Location (`absolute_redirect off`). */
  readonly relativeRedirects?: true;
  readonly rewrite?: Rewrite;
  readonly proxyHeaders?: ProxyHeaderOverrides;
  /** Only what differs from `GlobalSettings.proxy`. */
  readonly proxy: Partial<ProxyTuning>;
  /** `enable-access-log: "false"` while the http block logs: requests here skip the access log. */
  readonly accessLogOff?: true;
  /**
   * Variables of `addressLists` that refuse the client (403) when set: the location's allowlist and
   * denylist, each matched once per request by a `geo` block at http level. Empty: everyone may reach it.
   */
  readonly refuseClients: readonly string[];
  /**
   * `satisfy any`: these ranges (the allowlist, then `deny all`) or the location's auth admit a client;
   * the allowlist is then not among `refuseClients`.
   */
  readonly satisfyAny?: { readonly allow: readonly string[] };
  readonly limits?: LocationLimits;
  readonly clientCert?: ClientCertCheck;
  /** `auth_basic` with an htpasswd file of `authFiles`. */
  readonly basicAuth?: BasicAuth;
  /** HTTP Digest auth by lua/gatehouse/digest.lua against an htdigest file of `authFiles`. */
  readonly digestAuth?: DigestAuth;
  /** `auth_request` to an auth service (auth-url or the ConfigMap's global-auth-url). */
  readonly externalAuth?: ExternalAuth;
  /** What a configuration-snippet asks beyond headers: allow/deny rules and a fixed answer. */
  readonly snippet?: SnippetSettings;
  /** ModSecurity here, where it differs from the http block's (`NginxModel.modsecurity`). */
  readonly modsecurity?: LocationModSecurity;
  /**
   * Why the location cannot be served as its Ingress asks (e.g. its auth Secret is missing): it answers
   * 503, as ingress-nginx's denied locations do, rather than serving unprotected.
   */
  readonly denied?: string;
  /** Response headers this location sets (it then repeats the http block's, e.g. HSTS). */
  readonly responseHeaders?: ResponseHeaders;
  /** Status codes answered by a named error location of the server instead (custom-http-errors). */
  readonly errorPages?: ErrorPages;
  /** TLS to the pods (proxy-ssl-*): proxy_ssl_* directives, grpc_ssl_* for GRPCS. */
  readonly upstreamTls?: UpstreamTls;
  /** mirror-target: a copy of each request goes to `Server.mirrors`' location of this id. */
  readonly mirror?: Mirror;
  /** backend-protocol FCGI: what `fastcgi_pass` sends besides the request's headers and body. */
  readonly fastcgi?: Fastcgi;
}

/** FastCGI parameters of a location (fastcgi-index, fastcgi-params-configmap and the standard ones). */
export interface Fastcgi {
  /** fastcgi_index: a file name (letters, digits, `._-`). */
  readonly index?: string;
  /** Sorted by name. */
  readonly params: readonly FastcgiParam[];
}

export interface FastcgiParam {
  /** Letters, digits, `._-`. */
  readonly name: string;
  /** Printable text without quotes or backslashes; its `$` only start the variables translate/fastcgi.ts allows. */
  readonly value: string;
  /** Sent only when the value is not empty. */
  readonly ifNotEmpty?: true;
}

/**
 * A service NGINX asks from an internal location of each server that uses it (an auth check, a mirror): a
 * URL the controller took apart, its host resolved to an upstream block of checked addresses.
 */
export interface InternalTarget {
  /** Digest of its owner and settings: names its locations. */
  readonly id: string;
  /** The upstream block (`AuthService`, `MirrorService`) the request is sent to. */
  readonly upstream: string;
  readonly https: boolean;
  /** Host header: by default the URL's host (a name or address), with its port when not the scheme's default. */
  readonly host: string;
  /** The URL's host name: the TLS server name for https. */
  readonly hostname: string;
  /** Path and query sent. */
  readonly uri: string;
}

/**
 * A request mirror, shared by the locations of one Ingress: an internal location `/_gatehouse_mirror/<id>`
 * in each server that uses it, asked by NGINX's `mirror`. Its answer is dropped; short timeouts bound how
 * long it can hold the client's connection.
 */
export interface Mirror extends InternalTarget {
  /**
   * Path and query sent to the mirror: path characters and `$request_uri`, `$is_args`, `$args`; `/` when
   * the target has none.
   */
  readonly uri: string;
  readonly requestBody: boolean;
}

/** A mirror target's addresses, as the controller resolved and checked them: an `upstream` block. */
export interface MirrorService {
  /** `gatehouse_mirror_<digest>`. */
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
}

/** TLS to the pods as an Ingress's proxy-ssl-* annotations ask. */
export interface UpstreamTls {
  /**
   * The upstream block (`gatehouse_tls_<digest>`, one per distinct settings) these locations proxy through:
   * its keep-alive pool holds only connections made with these very settings, so no other location reuses a
   * connection this one verified or presented its client certificate on, nor this one an unverified one.
   */
  readonly pool: string;
  /** CA bundle (in `NginxModel.upstreamTlsFiles`) the pods' certificate is verified against. */
  readonly trustedCertificate?: string;
  /** Client certificate and key (one file in `NginxModel.upstreamTlsFiles`) NGINX presents to the pods. */
  readonly certificate?: string;
  readonly verify: boolean;
  readonly verifyDepth: number;
  /** Whether SNI is sent. */
  readonly serverName: boolean;
  /** Validated DNS name: checked in the pods' certificate, and sent as SNI. */
  readonly name?: string;
  readonly protocols?: readonly string[];
  readonly ciphers?: string;
}

/** Client certificates a host asks TLS clients for (`ssl_verify_client`), from its oldest Ingress that sets them. */
export interface ClientAuth {
  /** CA bundle file in `NginxModel.clientCaFiles`. */
  readonly caFile: string;
  readonly verify: 'on' | 'optional' | 'optional_no_ca';
  readonly depth: number;
  /** Validated http(s) URL clients are redirected to when their certificate is missing or invalid. */
  readonly errorPage?: string;
}

/**
 * TLS settings a host's Ingresses give it (ssl-ciphers, ssl-prefer-server-ciphers), only those that differ
 * from the http block's. They live in an SSL context, so such a server has one of its own.
 */
export interface ServerTls {
  /** Validated OpenSSL cipher list for TLS 1.2. */
  readonly ciphers?: string;
  /** The client's cipher order wins (the http block says `ssl_prefer_server_ciphers on`). */
  readonly preferServerCiphers?: false;
}

/** What each location of a host with client certificates checks. */
export interface ClientCertCheck {
  /** `verify on`: also refuse (403) requests without a verified certificate (plain HTTP included). */
  readonly requireVerified: boolean;
  /** Validated `CN=a|CN=b` regex the subject DN must match (403 otherwise). */
  readonly matchCn?: string;
}

export interface BasicAuth {
  /** Validated realm, printed double-quoted. */
  readonly realm: string;
  /** File name in `NginxModel.authFiles`. */
  readonly file: string;
}

/** HTTP Digest auth (MD5, qop=auth), checked by Gatehouse's Lua access handler. */
export interface DigestAuth {
  /** Validated realm, printed double-quoted. */
  readonly realm: string;
  /** File name (`*.htdigest`, `user:realm:HA1` lines) in `NginxModel.authFiles`. */
  readonly file: string;
}

/**
 * An auth service's check, shared by the locations of one Ingress (or of the global auth): an internal
 * location `/_gatehouse_auth/<id>` in each server that uses it, asked by `auth_request`, and a named
 * location `@gatehouse_signin_<id>` that redirects a 401 to the sign-in URL.
 */
export interface ExternalAuth extends InternalTarget {
  /** Digest of its owner and settings: names its locations and keeps its cache entries apart. */
  readonly id: string;
  readonly method?: string;
  readonly requestRedirect?: string;
  /** Header names; location `i` sets `$gatehouse_auth_response_<i>` from the answer. */
  readonly responseHeaders: readonly string[];
  /** Request headers for the auth service (auth-proxy-set-headers), sorted by name. */
  readonly proxySetHeaders: readonly { readonly name: string; readonly value: string }[];
  /** Sign-in URL: absolute, its only `$` being `$scheme`, `$gatehouse_host`, `$gatehouse_escaped_request_uri`. */
  readonly signin?: string;
  readonly cache?: { readonly key: string; readonly valid: readonly string[] };
  readonly keepalive: boolean;
  /** Its Set-Cookie goes with every answer (`ResponseHeaders.authCookie`), not only successful ones. */
  readonly alwaysSetCookie: boolean;
}

/** A snippet's allow/deny (in order; `all` or an address or CIDR), `return` and `rewrite`s. */
export interface SnippetSettings {
  readonly access: readonly { readonly allow: boolean; readonly range: string }[];
  /** A status with a text (printable, `\n` for new lines, no quote, backslash or `$`), or a redirect URL. */
  readonly answer?: { readonly code: number; readonly text?: string; readonly url?: string };
  /** In order; never beside `answer`. A location prints them after all of Gatehouse's own rewrite-phase lines. */
  readonly rewrites?: readonly SnippetRewrite[];
}

/**
 * A snippet's `rewrite`: `regex` is an optional `^` and a checked regex-path body (path-regex.ts);
 * `replacement` path characters, `%XX`, captures `$1`…`$9` and the variables `$scheme`, `$host`, `$uri`,
 * `$request_uri`, `$args`, `$is_args`. Never `last` nor no flag (both search the locations again).
 */
export interface SnippetRewrite {
  readonly regex: string;
  readonly replacement: string;
  readonly flag: 'break' | 'redirect' | 'permanent';
}

/** ModSecurity in one location: `off`, or on with what the http block does not load already. */
export interface LocationModSecurity {
  readonly enabled: boolean;
  /** Load the base engine settings here (the http block has ModSecurity off). */
  readonly baseRules?: true;
  /** Load the OWASP Core Rule Set here. */
  readonly coreRules?: true;
  /** A rules file of `NginxModel.modsecurity.rulesFiles` (modsecurity-snippet). */
  readonly rulesFile?: string;
  /** Letters, digits, `_.:-` and `$request_id`. */
  readonly transactionId?: string;
}

/** ModSecurity, present when some location uses it: the module is loaded only then. */
export interface ModSecurity {
  /** The http block turns it on for every location (ConfigMap enable-modsecurity). */
  readonly enabled: boolean;
  readonly coreRules: boolean;
  /** The ConfigMap's modsecurity-snippet, a file of `rulesFiles`. */
  readonly rulesFile?: string;
  /** Checked ModSecurity rules, one file each, sorted by name. */
  readonly rulesFiles: readonly { readonly fileName: string; readonly content: string }[];
}

/** An auth service's addresses, as the controller resolved and checked them: an `upstream` block. */
export interface AuthService {
  /** `gatehouse_auth_<digest>`. */
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
  readonly keepalive?: {
    readonly connections: number;
    readonly requests: number;
    readonly timeoutSeconds: number;
  };
}

/** A file NGINX's workers read on each request (an htpasswd file), written 0600. */
export interface AuthFile {
  /** `<namespace>_<secret>_<digest>.htpasswd`: content-addressed, like certificates. */
  readonly fileName: string;
  readonly content: string;
}

/** enable-cors: what NGINX answers to an allowed Origin. */
export interface Cors {
  /**
   * Anchored regex of the allowed origins, matched case-insensitively (`^(https://a\.example\.com)$`);
   * absent: any origin, answered `*`.
   */
  readonly originPattern?: string;
  /** Comma-separated tokens. */
  readonly methods: string;
  readonly headers: string;
  readonly exposeHeaders?: string;
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}

export interface ResponseHeaders {
  readonly cors?: Cors;
  /** The auth service's Set-Cookie: on successful answers, or `always`. */
  readonly authCookie?: 'success' | 'always';
  /** custom-headers: set on every response, replacing what the pods sent. Names sorted. */
  readonly custom?: readonly { readonly name: string; readonly value: string }[];
}

/** custom-http-errors / default-backend: which codes go to which named location, and what it is told. */
export interface ErrorPages {
  /** Intercept these codes from the pods too (custom-http-errors); else only NGINX's own 503. */
  readonly intercept: boolean;
  readonly pages: readonly { readonly code: number; readonly location: string }[];
  /** X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port sent to the error backend. */
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
  readonly servicePort: string;
}

/** A named location (`@name`) that asks the error backend for the page of `code`. */
export interface ErrorLocation {
  /** `gatehouse_error_<upstream>_<code>`, without the `@`. */
  readonly name: string;
  readonly code: number;
  readonly upstream: string;
}

/**
 * A list of client networks (an allowlist, a denylist, the clients a rate limit spares), rendered once as a
 * `geo` block at http level however many locations use it: `variable` is `1` for the clients `setFor`
 * names, `0` for the others.
 */
export interface AddressList {
  /** `gatehouse_<kind>_<digest>`, from the list's content. */
  readonly variable: string;
  /** Addresses or CIDRs, sorted. */
  readonly ranges: readonly string[];
  /** `outside`: 1 for clients outside the ranges (an allowlist refuses them); `inside`: 1 for those inside. */
  readonly setFor: 'inside' | 'outside';
}

/**
 * A shared-memory zone counting one Ingress's requests (`limit_req_zone`) or connections
 * (`limit_conn_zone`) per client, for all its paths.
 */
export interface RateLimitZone {
  /** `<namespace>_<ingress>_rps`, `_rpm` or `_conn`: stable across reloads, so the counts survive them. */
  readonly name: string;
  readonly kind: 'req' | 'conn';
  /** The per-client key variable (one per Ingress: empty for the clients its limit-allowlist spares). */
  readonly key: string;
  /** Requests per second or minute (`req` zones). */
  readonly rate?: { readonly count: number; readonly per: 's' | 'm' };
  readonly sizeMegabytes: number;
}

/** The key variable of an Ingress's zones: the client address, or empty for a spared client. */
export interface RateLimitKey {
  readonly variable: string;
  /** Variable of the `addressLists` entry that is 1 for spared clients; none: every client counts. */
  readonly exempt?: string;
}

/** A location's share of its Ingress's limits (ingress-nginx's order: connections, rps, rpm, rates). */
export interface LocationLimits {
  readonly connections?: { readonly zone: string; readonly limit: number };
  readonly requests: readonly { readonly zone: string; readonly burst: number }[];
  /** `limit_rate_after` and `limit_rate`, in kilobytes (per second for the rate). */
  readonly rateAfterKilobytes?: number;
  readonly rateKilobytes?: number;
}

export interface Location {
  /**
   * `=` for an exact match, `` for a prefix match, `~` for an exact match written as an anchored regex
   * (`path` stays the literal path; render builds the regex), `~*` for a case-insensitive regex path
   * (`path` is a validated regex, anchored at the start when printed).
   */
  readonly modifier: '=' | '' | '~' | '~*';
  readonly path: string;
  /** Where the location came from: `ingress default/cafe` or `default backend`. */
  readonly source: string;
  readonly action: Action;
  readonly settings: LocationSettings;
  /** Index of the route this location serves, in `TranslateResult.routes` (metrics and `explain`). */
  readonly route: number;
}

export interface Server {
  /** The host as written in the Ingress: `cafe.example.com` or `*.example.com`. */
  readonly host: string;
  /** What NGINX matches: the host itself, or an anchored regex for a one-label wildcard. */
  readonly serverName: string;
  readonly sources: readonly string[];
  /** File name under the certificates folder; the default certificate when the host has no TLS entry. */
  readonly certificate: string;
  readonly hasTls: boolean;
  /**
   * Client certificates this host asks for. Its verify settings live in the server's own SSL context, so
   * such a server always prints its own `ssl_certificate`.
   */
  readonly clientAuth?: ClientAuth;
  /** Its own TLS settings (`ServerTls`). */
  readonly tls?: ServerTls;
  /**
   * Set when `clientAuth` or `tls` is: the server prints its own `ssl_certificate` (of `certificate`), so
   * NGINX switches to its SSL context after the SNI pick.
   */
  readonly ownSslContext?: true;
  readonly locations: readonly Location[];
  /** More names this server answers (`server-alias`): DNS names or `*.` wildcards no other server uses. */
  readonly aliases?: readonly string[];
  /** `app-root`: a request for `/` is redirected (302) to this path. */
  readonly appRoot?: string;
  /** Named locations of custom-http-errors and default-backend, sorted by name. */
  readonly errorLocations?: readonly ErrorLocation[];
  /** The auth checks its locations ask (`LocationSettings.externalAuth`), sorted by id. */
  readonly authChecks?: readonly ExternalAuth[];
  /** The mirrors its locations send copies to (`LocationSettings.mirror`), sorted by id. */
  readonly mirrors?: readonly Mirror[];
  /** A server-snippet's allow/deny and fixed answer for the whole host (its headers go to each location). */
  readonly snippet?: SnippetSettings;
  /**
   * Plain HTTP to this host gets its HTTPS redirect from a shared server (`NginxModel.httpsRedirects`): every
   * location redirects alike, so the server listens on HTTPS only and prints no per-location redirect.
   */
  readonly httpsOnly?: true;
}

/**
 * The HTTPS redirect of every host whose locations all redirect plain HTTP alike, answered by one `server`
 * listing their names: no `if` per location (each one costs NGINX a whole location configuration to parse).
 */
export interface HttpsRedirect {
  /** The hosts' server names and aliases, in host order. */
  readonly serverNames: readonly string[];
  /** The redirect names the HTTPS port (`LocationSettings.sslRedirectPort`). */
  readonly port?: true;
  /** The redirect keeps a trailing `/` (`LocationSettings.preserveTrailingSlash`). */
  readonly preserveTrailingSlash?: true;
}

/** `from-to-www-redirect`: a name with or without `www.` that redirects (308) to a served host. */
export interface RedirectServer {
  /** The name redirected from: `example.com` for `www.example.com`, or the reverse. */
  readonly host: string;
  /** The served host it redirects to. */
  readonly target: string;
  readonly source: string;
  readonly certificate: string;
}

export interface CertificateFile {
  readonly fileName: string;
  /** Certificate chain followed by the private key, PEM. */
  readonly pem: string;
}

export interface GlobalSettings {
  readonly workerProcesses: string;
  readonly workerConnections: number;
  readonly keepaliveTimeoutSeconds: number;
  readonly serverNamesHashBucketSize: number;
  /** `server_names_hash_max_size`, grown with the number of server names. */
  readonly serverNamesHashMaxSize?: number;
  readonly useForwardedHeaders: boolean;
  readonly accessLog: boolean;
  /** `generate-request-id`: a request without X-Request-ID gets a new id (else none, and no per-request Lua). */
  readonly generateRequestId: boolean;
  readonly sslProtocols: readonly string[];
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's own). */
  readonly sslCiphers: string;
  readonly hsts: boolean;
  readonly hstsMaxAgeSeconds: number;
  readonly hstsIncludeSubdomains: boolean;
  readonly hstsPreload: boolean;
  /** Requests one client keep-alive connection may carry (`keepalive_requests`). */
  readonly keepaliveRequests: number;
  /** Show NGINX's version in the Server header and error pages (`server-tokens`). */
  readonly serverTokens: boolean;
  /**
   * `port_in_redirect`: redirects NGINX builds name the port it listens on (`use-port-in-redirects`; off by
   * default, as in ingress-nginx).
   */
  readonly portInRedirects: boolean;
  /** Client request limits: header buffers and how long a client may take to send headers and body. */
  readonly client: {
    readonly headerBufferSize: string;
    readonly largeHeaderBuffers: { readonly count: number; readonly size: string };
    readonly headerTimeoutSeconds: number;
    readonly bodyTimeoutSeconds: number;
  };
  /** Compress responses (`use-gzip` and `gzip-*`). */
  readonly gzip: {
    readonly enabled: boolean;
    readonly level: number;
    readonly minLength: number;
    readonly types: readonly string[];
  };
  /**
   * `compute-full-forwarded-for`: X-Forwarded-For carries the whole chain the trusted proxies sent plus the
   * peer; otherwise only the client address.
   */
  readonly computeFullForwardedFor: boolean;
  /** Clients refused everywhere (`block-cidrs`), canonical and sorted. */
  readonly blockCidrs: readonly string[];
  /** User-Agent values refused everywhere (`block-user-agents`): exact strings, or regexes. */
  readonly blockUserAgents: readonly UserAgentMatch[];
  /**
   * The access log's format (`log-format-upstream`), checked against the variables it may name; absent:
   * Gatehouse's own format.
   */
  readonly accessLogFormat?: string;
  /** Offer HTTP/2 on HTTPS (ALPN). */
  readonly http2: boolean;
  /** Also listen on IPv6 where the host has it (ConfigMap `disable-ipv6`). */
  readonly ipv6: boolean;
  /** Proxy defaults, set at http level. */
  readonly proxy: ProxyTuning;
  /**
   * Trusted proxies whose `realIpHeader` names the client (`use-forwarded-headers`, `proxy-real-ip-cidr`):
   * the client address allow- and denylists see. Empty: the peer's address is the client's.
   */
  readonly realIpFrom: readonly string[];
  readonly realIpHeader: string;
  /** Status of a request refused by a rate limit (`limit-req-status-code`) or connection limit. */
  readonly limitReqStatus: number;
  readonly limitConnStatus: number;
  /** How long workers may finish requests in flight once NGINX is told to stop (`worker_shutdown_timeout`). */
  readonly workerShutdownTimeoutSeconds: number;
}

/** A `block-user-agents` entry: the exact User-Agent, or a PCRE (`~` case-sensitive, `~*` not). */
export interface UserAgentMatch {
  readonly match: 'exact' | '~' | '~*';
  readonly value: string;
}

export interface Listen {
  readonly httpPort: number;
  readonly httpsPort: number;
}

/**
 * The `stream` block: TCP/UDP services and SSL passthrough. Its upstreams list their endpoints (the Lua
 * balancer is HTTP only), so a change of their pods reloads NGINX.
 */
export interface StreamConfig {
  readonly passthrough?: Passthrough;
  readonly servers: readonly StreamServer[];
  readonly upstreams: readonly Upstream[];
}

/**
 * ssl-passthrough: NGINX's HTTPS port reads the SNI name (ssl_preread) and hands passthrough hosts,
 * still encrypted, to their pods; every other name goes to the HTTP servers, which then listen on a unix
 * socket, with the PROXY protocol carrying the client's address.
 */
export interface Passthrough {
  /** Server names (a host, or the one-label wildcard regex) → stream upstream, sorted by name. */
  readonly routes: readonly {
    readonly serverName: string;
    readonly upstream: string;
    readonly source: string;
  }[];
}

/** A TCP or UDP service from --tcp-services-configmap / --udp-services-configmap. */
export interface StreamServer {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly upstream: string;
  /** The clients' connections start with a PROXY protocol header. */
  readonly proxyProtocolIn: boolean;
  /** Send the PROXY protocol to the pods. */
  readonly proxyProtocolOut: boolean;
  readonly source: string;
}

export interface NginxModel {
  readonly listen: Listen;
  readonly global: GlobalSettings;
  readonly upstreams: readonly Upstream[];
  /** Catch-all server for unknown hosts and for rules without a host. */
  readonly defaultServer: Server;
  readonly servers: readonly Server[];
  readonly certificates: readonly CertificateFile[];
  /** Allow- and denylists, one per distinct list, sorted by variable. */
  readonly addressLists: readonly AddressList[];
  /** htpasswd and htdigest files, sorted by name. */
  readonly authFiles: readonly AuthFile[];
  /** Some location uses digest auth: its nonce table (shared dict) and secret are set up. */
  readonly digestAuth?: true;
  /** Auth services of external auth, sorted by name; `authCache`: some check caches its verdicts. */
  readonly authServices?: readonly AuthService[];
  readonly authCache?: true;
  /** Mirror targets (mirror-target), sorted by name. */
  readonly mirrorServices?: readonly MirrorService[];
  readonly modsecurity?: ModSecurity;
  /** CA bundles of hosts asking for client certificates (`Server.clientAuth`), sorted by name. */
  readonly clientCaFiles: readonly CertificateFile[];
  /** CA bundles and client certificates of TLS to the pods (`LocationSettings.upstreamTls`), sorted by name. */
  readonly upstreamTlsFiles: readonly CertificateFile[];
  /** The upstream blocks of `UpstreamTls.pool`, sorted. */
  readonly upstreamTlsPools: readonly string[];
  /** Rate-limit keys and zones, sorted by name. */
  readonly rateLimitKeys: readonly RateLimitKey[];
  readonly rateLimitZones: readonly RateLimitZone[];
  /** The one upstream every dynamic backend goes through, and how it picks pods by default. */
  readonly balancer: {
    readonly keepaliveConnections: number;
    readonly keepaliveTimeoutSeconds: number;
    readonly keepaliveRequests: number;
    readonly mode: LoadBalance;
  };
  /** TCP/UDP services and SSL passthrough; absent when there are none. */
  readonly stream?: StreamConfig;
  /** from-to-www-redirect servers, sorted by host. */
  readonly redirectServers?: readonly RedirectServer[];
  /** Shared HTTPS redirects for the servers marked `httpsOnly`, sorted by kind. */
  readonly httpsRedirects?: readonly HttpsRedirect[];
}

export const DEFAULT_CERTIFICATE_FILE = 'default.pem';
