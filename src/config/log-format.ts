/**
 * `log-format-upstream`: an access-log format as ingress-nginx takes it, checked and rebuilt for Gatehouse.
 * The format is text and `$variable`s (or `${variable}`). Text may hold printable ASCII but `'` and `\`
 * (so it stays one single-quoted NGINX string); each variable must be one NGINX defines, or one of
 * ingress-nginx's own that Gatehouse has under another name (renamed here). Anything else is refused with
 * the name, and the default format stays.
 */

/** NGINX variables a log line may carry. */
const NGINX_VARIABLES = new Set([
  'binary_remote_addr',
  'body_bytes_sent',
  'bytes_sent',
  'connection',
  'connection_requests',
  'content_length',
  'content_type',
  'document_uri',
  'gzip_ratio',
  'host',
  'hostname',
  'https',
  'is_args',
  'msec',
  'pid',
  'pipe',
  'proxy_add_x_forwarded_for',
  'proxy_protocol_addr',
  'proxy_protocol_port',
  'query_string',
  'args',
  'realip_remote_addr',
  'realip_remote_port',
  'remote_addr',
  'remote_port',
  'remote_user',
  'request',
  'request_id',
  'request_length',
  'request_method',
  'request_time',
  'request_uri',
  'scheme',
  'server_addr',
  'server_name',
  'server_port',
  'server_protocol',
  'ssl_cipher',
  'ssl_client_s_dn',
  'ssl_client_i_dn',
  'ssl_client_verify',
  'ssl_protocol',
  'ssl_server_name',
  'ssl_session_reused',
  'status',
  'time_iso8601',
  'time_local',
  'upstream_addr',
  'upstream_bytes_received',
  'upstream_bytes_sent',
  'upstream_cache_status',
  'upstream_connect_time',
  'upstream_header_time',
  'upstream_response_length',
  'upstream_response_time',
  'upstream_status',
  'uri',
]);

/** Families of variables named after a header, cookie or argument: `$http_x_forwarded_for` and the like. */
const VARIABLE_FAMILIES = /^(http|sent_http|upstream_http|cookie|arg)_[a-z0-9_]{1,64}$/;

/** ingress-nginx's own variables and what Gatehouse calls them. */
const RENAMED: Readonly<Record<string, string>> = {
  req_id: 'gatehouse_request_id',
  // NGINX's own name for the id made for this request: Gatehouse makes it more cheaply (request_id.lua).
  request_id: 'gatehouse_new_request_id',
  proxy_upstream_name: 'gatehouse_upstream',
  proxy_alternative_upstream_name: 'gatehouse_canary',
  the_real_ip: 'remote_addr',
};

/** ingress-nginx variables Gatehouse does not set in every location. */
const NOT_AVAILABLE = new Set(['namespace', 'ingress_name', 'service_name', 'service_port', 'location_path']);

const TEXT = /^[\x20-\x7e]*$/;
const MAX_LENGTH = 2048;

/** The format rebuilt with Gatehouse's names, or why it cannot be used. */
export function parseLogFormat(format: string): { format: string } | { error: string } {
  const trimmed = format.trim();
  if (trimmed === '') return { error: 'must not be empty' };
  if (trimmed.length > MAX_LENGTH) return { error: `must be at most ${MAX_LENGTH} characters` };
  if (!TEXT.test(trimmed) || /['\\]/.test(trimmed))
    return { error: "may hold printable ASCII text and $variables, but no ' or \\" };
  let out = '';
  const pieces = /\$(?:\{([A-Za-z0-9_]*)\}|([A-Za-z0-9_]*))/g;
  let last = 0;
  for (const m of trimmed.matchAll(pieces)) {
    out += trimmed.slice(last, m.index);
    last = m.index + m[0].length;
    const name = (m[1] ?? m[2] ?? '').toLowerCase();
    if (name === '') return { error: 'has a "$" that names no variable' };
    if (NOT_AVAILABLE.has(name))
      return { error: `$${name} is an ingress-nginx variable Gatehouse does not set; leave it out` };
    const variable = RENAMED[name] ?? name;
    if (!NGINX_VARIABLES.has(variable) && !VARIABLE_FAMILIES.test(variable) && RENAMED[name] === undefined)
      return { error: `$${name} is not a variable an access log line may carry` };
    out += `\${${variable}}`;
  }
  return { format: out + trimmed.slice(last) };
}
