/**
 * ingress-nginx annotations Gatehouse does not implement, by what ignoring them would do. The rule (issue
 * 7): an annotation that changes where or how a request is routed, or who may reach it, refuses the
 * Ingress, so it is never served differently from what its author meant; only pure tuning is ignored with
 * a warning. Implementing a key means moving it from here into a family.
 */

/**
 * Snippet annotations without a parser of their own: they would paste raw NGINX configuration. They are
 * how ingress-nginx's injection CVEs happened; Gatehouse never renders them and rejects an Ingress that
 * carries one, rather than silently dropping what might be an access control. (Any `*-snippet` key is off
 * unless the ConfigMap allows snippets; those with a parser, such as modsecurity-snippet, are families.)
 */
export const SNIPPET_ANNOTATIONS: readonly string[] = ['auth-snippet', 'stream-snippet'];

/**
 * Annotations that restrict who may reach a path. Ignoring one would quietly open what the Ingress meant
 * to protect.
 */
export const UNSUPPORTED_ACCESS_CONTROL: readonly string[] = ['global-rate-limit'];

/** Annotations that change where or how requests are routed, not implemented yet. */
export const UNSUPPORTED_ROUTING: readonly string[] = [];

/** Pure tuning: ignoring it changes performance or logging, never who gets what. */
export const IGNORED_TUNING: readonly string[] = [
  'disable-proxy-intercept-errors',
  'enable-opentelemetry',
  'enable-rewrite-log',
  'http2-push-preload',
  'opentelemetry-operation-name',
  'opentelemetry-trust-incoming-span',
  'proxy-ssl-session-reuse',
];

/** Keys ingress-nginx itself removed or never had, with what replaced them. */
export const RETIRED: Readonly<Record<string, string>> = {
  'add-base-url': 'removed from ingress-nginx in 0.22; nothing replaces it',
  'base-url-scheme': 'removed from ingress-nginx in 0.22; nothing replaces it',
  'enable-influxdb': 'removed from ingress-nginx; nothing replaces it',
  'enable-opentracing': 'removed from ingress-nginx; OpenTelemetry replaced it',
  'enable-websocket': 'never an ingress-nginx annotation; WebSocket works without one',
  'grpc-backend': 'removed from ingress-nginx; use backend-protocol: "GRPC"',
  'opentracing-trust-incoming-span': 'removed from ingress-nginx; OpenTelemetry replaced it',
  'rate-limit': 'never an ingress-nginx annotation; see limit-rps',
  'secure-backends': 'removed from ingress-nginx in 0.22; use backend-protocol: "HTTPS"',
  'session-cookie-hash': 'removed from ingress-nginx in 0.24; nothing replaces it',
  'upstream-fail-timeout': 'removed from ingress-nginx in 0.22; nothing replaces it',
  'upstream-max-fails': 'removed from ingress-nginx in 0.22; nothing replaces it',
};
