import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { PROXY_KEYS } from '../../src/annotations/proxy.ts';
import { CONFIGMAP_KEYS, DEFAULT_SSL_CIPHERS } from '../../src/config/global-config.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type TestCertificate,
} from '../support/fixtures.ts';
import { messages, renderObjects } from './harness.ts';

let cert: TestCertificate;
/** The config rendered without a ConfigMap. */
let defaults: string;
before(async () => {
  cert = await certificateFor('web.example.com');
  defaults = renderWithConfig(undefined).conf;
});

const CONFIG = { namespace: 'gatehouse', name: 'config' };

function configMap(data: Record<string, string>): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...CONFIG }, data } as KubernetesObject;
}

function renderWithConfig(
  data: Record<string, string> | undefined,
  annotations: Record<string, string> = {},
) {
  return renderObjects(
    [
      ingressClass(),
      ingress({
        name: 'web',
        annotations,
        tls: [{ secretName: 'web-tls' }],
        rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
      }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
      tlsSecret('web-tls', cert),
      ...(data ? [configMap(data)] : []),
    ],
    { configMap: CONFIG },
  );
}

const lines = (conf: string): string[] => conf.split('\n').map((l) => l.trim());

/** Lines the default config has, which a key changes. */
const valid: { key: string; value: string; has: string[]; lacks: string[] }[] = [
  { key: 'worker-processes', value: '4', has: ['worker_processes 4;'], lacks: ['worker_processes auto;'] },
  { key: 'worker-processes', value: 'auto', has: ['worker_processes auto;'], lacks: [] },
  {
    key: 'worker-shutdown-timeout',
    value: '30s',
    has: ['worker_shutdown_timeout 30s;'],
    lacks: ['worker_shutdown_timeout 240s;'],
  },
  {
    key: 'use-http2',
    value: 'false',
    has: ['listen 443 ssl default_server;'],
    lacks: ['listen 443 ssl http2 default_server;'],
  },
  { key: 'use-http2', value: 'true', has: ['listen 443 ssl http2 default_server;'], lacks: [] },
  {
    key: 'max-worker-connections',
    value: '1024',
    has: ['worker_connections 1024;'],
    lacks: ['worker_connections 16384;'],
  },
  { key: 'keep-alive', value: '30s', has: ['keepalive_timeout 30s;'], lacks: ['keepalive_timeout 75s;'] },
  {
    key: 'server-names-hash-bucket-size',
    value: '256',
    has: ['server_names_hash_bucket_size 256;'],
    lacks: ['server_names_hash_bucket_size 128;'],
  },
  {
    key: 'use-forwarded-headers',
    value: 'true',
    has: [
      // The client address is the one the trusted proxies (ingress-nginx's default: all) report.
      'real_ip_header X-Forwarded-For;',
      'set_real_ip_from 0.0.0.0/0;',
      // X-Forwarded-For is the client alone, as in ingress-nginx (compute-full-forwarded-for: the chain).
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'map $http_x_forwarded_proto $gatehouse_forwarded_proto {',
    ],
    lacks: ['proxy_set_header X-Forwarded-Proto $scheme;'],
  },
  {
    key: 'enable-real-ip',
    value: 'true',
    has: ['real_ip_header X-Forwarded-For;', 'real_ip_recursive on;', 'set_real_ip_from 0.0.0.0/0;'],
    lacks: [],
  },
  // Alone, these change nothing: they only say how the real IP is read once it is on.
  { key: 'proxy-real-ip-cidr', value: '10.0.0.0/8', has: [], lacks: [] },
  { key: 'forwarded-for-header', value: 'X-Client-IP', has: [], lacks: [] },
  {
    key: 'whitelist-source-range',
    value: '10.0.0.0/8',
    has: ['10.0.0.0/8 0;', 'return 403;'],
    lacks: [],
  },
  {
    key: 'denylist-source-range',
    value: '192.0.2.1',
    has: ['192.0.2.1 1;', 'return 403;'],
    lacks: [],
  },
  {
    key: 'disable-access-log',
    value: 'true',
    has: ['access_log off;'],
    lacks: ['access_log "/dev/stdout" gatehouse buffer=64k flush=1s;'],
  },
  {
    key: 'generate-request-id',
    value: 'false',
    has: [],
    lacks: [
      "'' $gatehouse_new_request_id;",
      'set_by_lua_block $gatehouse_new_request_id { return require("gatehouse.request_id").next() }',
    ],
  },
  {
    key: 'ssl-protocols',
    value: 'TLSv1.3',
    has: ['ssl_protocols TLSv1.3;'],
    lacks: ['ssl_protocols TLSv1.2 TLSv1.3;'],
  },
  {
    key: 'ssl-protocols',
    value: ' TLSv1.3  TLSv1.2 TLSv1.3 ',
    has: ['ssl_protocols TLSv1.2 TLSv1.3;'],
    lacks: [],
  },
  {
    key: 'ssl-ciphers',
    value: ' ECDHE-RSA-AES256-GCM-SHA384:!aNULL:@STRENGTH ',
    has: ['ssl_ciphers "ECDHE-RSA-AES256-GCM-SHA384:!aNULL:@STRENGTH";'],
    lacks: [`ssl_ciphers "${DEFAULT_SSL_CIPHERS}";`],
  },
  {
    key: 'max-paths-per-ingress',
    value: '2',
    has: ['location "/" {'],
    lacks: [],
  },
  { key: 'max-hosts-per-ingress', value: '1', has: [], lacks: [] },
  { key: 'max-config-size', value: '64m', has: [], lacks: [] },
  { key: 'host-namespace-isolation', value: 'true', has: [], lacks: [] },
  {
    key: 'hsts',
    value: 'false',
    has: [],
    lacks: [
      'https "max-age=31536000; includeSubDomains";',
      'add_header Strict-Transport-Security $gatehouse_hsts always;',
    ],
  },
  {
    key: 'hsts-include-subdomains',
    value: 'false',
    has: ['https "max-age=31536000";'],
    lacks: ['https "max-age=31536000; includeSubDomains";'],
  },
  {
    key: 'hsts-preload',
    value: 'true',
    has: ['https "max-age=31536000; includeSubDomains; preload";'],
    lacks: ['https "max-age=31536000; includeSubDomains";'],
  },
  {
    key: 'keep-alive-requests',
    value: '100',
    has: ['keepalive_requests 100;'],
    lacks: ['keepalive_requests 1000;'],
  },
  { key: 'server-tokens', value: 'true', has: ['server_tokens on;'], lacks: ['server_tokens off;'] },
  {
    key: 'use-port-in-redirects',
    value: 'true',
    has: ['port_in_redirect on;'],
    lacks: ['port_in_redirect off;'],
  },
  {
    key: 'client-header-buffer-size',
    value: '4k',
    has: ['client_header_buffer_size 4k;'],
    lacks: ['client_header_buffer_size 1k;'],
  },
  {
    key: 'large-client-header-buffers',
    value: '8  16K',
    has: ['large_client_header_buffers 8 16k;'],
    lacks: ['large_client_header_buffers 4 8k;'],
  },
  {
    key: 'client-header-timeout',
    value: '10s',
    has: ['client_header_timeout 10s;'],
    lacks: ['client_header_timeout 60s;'],
  },
  {
    key: 'client-body-timeout',
    value: '120',
    has: ['client_body_timeout 120s;'],
    lacks: ['client_body_timeout 60s;'],
  },
  {
    key: 'upstream-keepalive-timeout',
    value: '30',
    has: ['keepalive_timeout 30s;'],
    lacks: ['keepalive_timeout 60s;'],
  },
  {
    key: 'upstream-keepalive-requests',
    value: '500',
    has: ['keepalive_requests 500;'],
    lacks: ['keepalive_requests 10000;'],
  },
  {
    key: 'use-gzip',
    value: 'true',
    has: ['gzip on;', 'gzip_comp_level 1;', 'gzip_min_length 256;'],
    lacks: [],
  },
  // Printed with use-gzip (see the configmap golden).
  { key: 'gzip-level', value: '5', has: [], lacks: [] },
  { key: 'gzip-min-length', value: '1000', has: [], lacks: [] },
  { key: 'gzip-types', value: 'text/css application/json', has: [], lacks: [] },
  {
    key: 'compute-full-forwarded-for',
    value: 'true',
    // Only with use-forwarded-headers: without it the client's own X-Forwarded-For is not trusted.
    has: ['proxy_set_header X-Forwarded-For $remote_addr;'],
    lacks: [],
  },
  {
    key: 'block-cidrs',
    value: '192.0.2.1, 10.1.2.3/8',
    has: ['deny 10.0.0.0/8;', 'deny 192.0.2.1;'],
    lacks: [],
  },
  {
    key: 'block-user-agents',
    value: 'BadBot/1.0, ~*(curl|wget)\\/, ~^evil',
    has: ['"BadBot/1.0" 1;', '"~*(curl|wget)\\/" 1;', '"~^evil" 1;', 'if ($gatehouse_blocked_agent) {'],
    lacks: [],
  },
  {
    key: 'log-format-upstream',
    value: '$remote_addr "$request" $status $req_id [$proxy_upstream_name] ${http_x_trace} $request_id',
    has: [
      'log_format gatehouse \'${remote_addr} "${request}" ${status} ${gatehouse_request_id} [${gatehouse_upstream}] ${http_x_trace} ${gatehouse_new_request_id}\';',
    ],
    lacks: [],
  },
  {
    key: 'ssl-redirect',
    value: 'false',
    has: [],
    lacks: ['return 308 https://$host$gatehouse_uri_without_slash;'],
  },
  {
    key: 'proxy-connect-timeout',
    value: '15',
    has: ['proxy_connect_timeout 15s;'],
    lacks: ['proxy_connect_timeout 5s;'],
  },
  {
    key: 'proxy-read-timeout',
    value: '86400',
    has: ['proxy_read_timeout 86400s;'],
    lacks: ['proxy_read_timeout 60s;'],
  },
  {
    key: 'proxy-send-timeout',
    value: '120s',
    has: ['proxy_send_timeout 120s;'],
    lacks: ['proxy_send_timeout 60s;'],
  },
  {
    key: 'proxy-body-size',
    value: '10M',
    has: ['client_max_body_size 10m;'],
    lacks: ['client_max_body_size 1m;'],
  },
  { key: 'proxy-buffering', value: 'on', has: ['proxy_buffering on;'], lacks: ['proxy_buffering off;'] },
  {
    key: 'proxy-connect-timeout',
    value: '1m',
    has: ['proxy_connect_timeout 60s;', 'grpc_connect_timeout 60s;'],
    lacks: ['proxy_connect_timeout 5s;'],
  },
  {
    key: 'proxy-buffer-size',
    value: '16k',
    has: ['proxy_buffer_size 16k;', 'proxy_buffers 4 16k;'],
    lacks: ['proxy_buffer_size 4k;'],
  },
  {
    key: 'proxy-buffers-number',
    value: '8',
    has: ['proxy_buffers 8 4k;'],
    lacks: ['proxy_buffers 4 4k;'],
  },
  { key: 'proxy-busy-buffers-size', value: '8k', has: ['proxy_busy_buffers_size 8k;'], lacks: [] },
  {
    key: 'client-body-buffer-size',
    value: '1m',
    has: ['client_body_buffer_size 1m;'],
    lacks: ['client_body_buffer_size 8k;'],
  },
  {
    key: 'proxy-request-buffering',
    value: 'off',
    has: ['proxy_request_buffering off;'],
    lacks: ['proxy_request_buffering on;'],
  },
  {
    key: 'proxy-http-version',
    value: '1.0',
    has: ['proxy_http_version 1.0;'],
    lacks: ['proxy_http_version 1.1;'],
  },
  {
    key: 'proxy-max-temp-file-size',
    value: '0',
    has: ['proxy_max_temp_file_size 0;'],
    lacks: ['proxy_max_temp_file_size 1024m;'],
  },
  {
    key: 'proxy-next-upstream',
    value: 'error, timeout, http_502',
    has: ['proxy_next_upstream error timeout http_502;'],
    lacks: ['proxy_next_upstream error timeout;'],
  },
  {
    key: 'proxy-next-upstream-timeout',
    value: '10',
    has: ['proxy_next_upstream_timeout 10s;'],
    lacks: ['proxy_next_upstream_timeout 0s;'],
  },
  {
    key: 'proxy-next-upstream-tries',
    value: '0',
    has: ['proxy_next_upstream_tries 0;'],
    lacks: ['proxy_next_upstream_tries 3;'],
  },
  {
    key: 'proxy-cookie-domain',
    value: 'svc.local example.com',
    has: ['proxy_cookie_domain svc.local example.com;'],
    lacks: ['proxy_cookie_domain off;'],
  },
  {
    key: 'proxy-cookie-path',
    value: '/ /app/',
    has: ['proxy_cookie_path / /app/;'],
    lacks: ['proxy_cookie_path off;'],
  },
  {
    key: 'proxy-redirect-from',
    value: 'default',
    has: ['proxy_redirect default;'],
    lacks: ['proxy_redirect off;'],
  },
  { key: 'upstream-keepalive-connections', value: '16', has: ['keepalive 16;'], lacks: ['keepalive 320;'] },
  {
    key: 'load-balance',
    value: 'ewma',
    has: ['require("gatehouse.balancer").init_worker("ewma")', 'require("gatehouse.balancer").log()'],
    lacks: ['require("gatehouse.balancer").init_worker("round_robin")'],
  },
  { key: 'upstream-keepalive-connections', value: '0', has: [], lacks: ['keepalive 320;', 'keepalive 0;'] },
  { key: 'allow-snippet-annotations', value: 'false', has: [], lacks: [] },
  { key: 'allow-snippet-annotations', value: 'true', has: [], lacks: [] },
  { key: 'enable-modsecurity', value: 'true', has: ['modsecurity on;', 'error_log stderr info;'], lacks: [] },
  // Read with enable-modsecurity (test/unit/annotations/modsecurity.test.ts).
  { key: 'enable-owasp-modsecurity-crs', value: 'true', has: [], lacks: [] },
  { key: 'modsecurity-snippet', value: 'SecRuleEngine On', has: [], lacks: [] },
  // Read when an Ingress uses custom-headers (test/unit/annotations/headers.test.ts).
  { key: 'global-allowed-response-headers', value: 'X-Frame-Options, X-Team', has: [], lacks: [] },
  { key: 'annotations-risk-level', value: 'Critical', has: [], lacks: [] },
  // Printed with the first rate-limit zone (see the rate-limits golden).
  { key: 'limit-req-status-code', value: '429', has: [], lacks: [] },
  { key: 'limit-conn-status-code', value: '429', has: [], lacks: [] },
  // Read with global-auth-url (test/unit/annotations/externalAuth.test.ts).
  { key: 'no-auth-locations', value: '/public, /.well-known/acme-challenge', has: [], lacks: [] },
];

const SECONDS = 'must be a whole number of seconds (such as 60, 60s, 5m or 1h), at least 1';

const invalid: { key: string; value: string; reason: string }[] = [
  { key: 'worker-processes', value: '0', reason: 'must be "auto" or a whole number between 1 and 512' },
  {
    key: 'worker-processes',
    value: 'auto; include /etc/passwd',
    reason: 'must be "auto" or a whole number between 1 and 512',
  },
  { key: 'max-worker-connections', value: '100', reason: 'must be between 512 and 1048576' },
  { key: 'keep-alive', value: '0', reason: 'must be between 1 and 86400 seconds' },
  {
    key: 'server-names-hash-bucket-size',
    value: '100',
    reason: 'Invalid option: expected one of "32"|"64"|"128"|"256"|"512"',
  },
  { key: 'use-forwarded-headers', value: 'yes', reason: 'must be "true" or "false"' },
  { key: 'annotations-risk-level', value: 'high', reason: 'must be Low, Medium, High or Critical' },
  { key: 'limit-req-status-code', value: '200', reason: 'must be between 400 and 599' },
  { key: 'limit-conn-status-code', value: '429;', reason: 'must be a whole number' },
  { key: 'no-auth-locations', value: 'public', reason: 'must be comma-separated paths' },
  { key: 'enable-modsecurity', value: 'on', reason: 'must be "true" or "false"' },
  { key: 'enable-owasp-modsecurity-crs', value: 'yes', reason: 'must be "true" or "false"' },
  {
    key: 'modsecurity-snippet',
    value: 'Include /etc/shadow',
    reason:
      'Include is not allowed (only SecRuleEngine, SecRule, SecAction, SecMarker and other rule directives)',
  },
  { key: 'enable-real-ip', value: 'on', reason: 'must be "true" or "false"' },
  {
    key: 'proxy-real-ip-cidr',
    value: '10.0.0.0/8; real_ip_header X',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  {
    key: 'forwarded-for-header',
    value: 'X-Forwarded-For; include /etc/passwd',
    reason: 'must be an HTTP header name (letters, digits and "-")',
  },
  { key: 'whitelist-source-range', value: '', reason: 'must list at least one IP address or CIDR' },
  {
    key: 'denylist-source-range',
    value: 'all',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  { key: 'disable-access-log', value: '1', reason: 'must be "true" or "false"' },
  { key: 'generate-request-id', value: 'no', reason: 'must be "true" or "false"' },
  { key: 'ssl-protocols', value: 'TLSv1.1', reason: 'must list TLSv1.2 and/or TLSv1.3' },
  { key: 'ssl-protocols', value: '', reason: 'must list TLSv1.2 and/or TLSv1.3' },
  { key: 'hsts', value: 'on', reason: 'must be "true" or "false"' },
  { key: 'hsts-preload', value: 'yes', reason: 'must be "true" or "false"' },
  { key: 'keep-alive-requests', value: '0', reason: 'must be between 1 and 1000000' },
  { key: 'large-client-header-buffers', value: '4', reason: 'must be a number and a size, such as "4 8k"' },
  {
    key: 'large-client-header-buffers',
    value: '4 8k; include x',
    reason: 'must be a number and a size, such as "4 8k"',
  },
  { key: 'client-header-buffer-size', value: '1 k', reason: 'must be a size such as 4k, 16k or 1m' },
  { key: 'gzip-level', value: '10', reason: 'must be between 1 and 9' },
  {
    key: 'gzip-types',
    value: 'text/css; gzip off',
    reason: 'must be MIME types such as text/css or application/json',
  },
  {
    key: 'block-cidrs',
    value: '10.0.0.0/33',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  {
    key: 'block-user-agents',
    value: 'Bad"Bot',
    reason: '"Bad"Bot" must be a User-Agent of letters, digits and ._/();:+- or a regex after ~ or ~*',
  },
  {
    key: 'block-user-agents',
    value: '~*evil\\";',
    reason:
      '"~*evil\\";" is not a regex Gatehouse accepts (no quotes, backslash only before a metacharacter or class)',
  },
  {
    key: 'log-format-upstream',
    value: '$remote_addr $namespace',
    reason: '$namespace is an ingress-nginx variable Gatehouse does not set; leave it out',
  },
  {
    key: 'log-format-upstream',
    value: '$remote_addr $document_root',
    reason: '$document_root is not a variable an access log line may carry',
  },
  {
    key: 'log-format-upstream',
    value: "$remote_addr ';access_log /tmp/x",
    reason: "may hold printable ASCII text and $variables, but no ' or \\",
  },
  { key: 'upstream-keepalive-timeout', value: 'forever', reason: 'must be a whole number of seconds' },
  { key: 'compute-full-forwarded-for', value: '1', reason: 'must be "true" or "false"' },
  { key: 'server-tokens', value: 'on', reason: 'must be "true" or "false"' },
  { key: 'use-port-in-redirects', value: 'on', reason: 'must be "true" or "false"' },
  { key: 'use-gzip', value: 'on', reason: 'must be "true" or "false"' },
  { key: 'gzip-min-length', value: '-1', reason: 'must be a whole number' },
  { key: 'upstream-keepalive-requests', value: '0', reason: 'must be between 1 and 1000000' },
  { key: 'client-header-timeout', value: '0', reason: 'must be between 1 and 86400 seconds' },
  { key: 'client-body-timeout', value: '1h', reason: 'must be a whole number of seconds' },
  { key: 'hsts-include-subdomains', value: 'no', reason: 'must be "true" or "false"' },
  { key: 'max-paths-per-ingress', value: '0', reason: 'must be between 1 and 100000' },
  { key: 'max-hosts-per-ingress', value: 'many', reason: 'must be a whole number' },
  { key: 'max-config-size', value: '1k', reason: 'must be at least 64k' },
  { key: 'max-config-size', value: '1.5g', reason: 'must be a size such as 512k, 64m or 1g' },
  { key: 'host-namespace-isolation', value: 'yes', reason: 'must be "true" or "false"' },
  {
    key: 'ssl-ciphers',
    value: 'HIGH"; include /etc/passwd; #',
    reason: 'must be an OpenSSL cipher list: names, "!", "+", "-" and "@" separated by ":"',
  },
  {
    key: 'ssl-ciphers',
    value: 'HIGH MEDIUM',
    reason: 'must be an OpenSSL cipher list: names, "!", "+", "-" and "@" separated by ":"',
  },
  { key: 'use-http2', value: 'yes', reason: 'must be "true" or "false"' },
  { key: 'disable-ipv6', value: 'no', reason: 'must be "true" or "false"' },
  { key: 'worker-shutdown-timeout', value: '0', reason: 'must be between 1 and 86400 seconds' },
  { key: 'hsts-max-age', value: '-1', reason: 'must be a whole number' },
  { key: 'ssl-redirect', value: 'TRUE', reason: 'must be "true" or "false"' },
  { key: 'proxy-connect-timeout', value: '5 minutes', reason: SECONDS },
  { key: 'proxy-read-timeout', value: '0', reason: 'must be between 1 and 2147483 seconds' },
  { key: 'proxy-send-timeout', value: '', reason: SECONDS },
  { key: 'proxy-body-size', value: '1 m', reason: 'must be a size such as 0, 512k, 8m or 1g' },
  { key: 'proxy-buffering', value: 'off;', reason: 'must be "on" or "off"' },
  { key: 'proxy-buffer-size', value: '1g', reason: 'must be a size such as 4k, 16k or 1m' },
  { key: 'proxy-buffers-number', value: '2', reason: 'must be a whole number from 4 to 1024' },
  { key: 'proxy-busy-buffers-size', value: '8x', reason: 'must be a size such as 4k, 16k or 1m' },
  { key: 'client-body-buffer-size', value: '-1', reason: 'must be a size such as 4k, 16k or 1m' },
  { key: 'proxy-request-buffering', value: 'no', reason: 'must be "on" or "off"' },
  { key: 'proxy-http-version', value: '2', reason: 'must be "1.0" or "1.1"' },
  { key: 'proxy-max-temp-file-size', value: '2t', reason: 'must be a size such as 0, 512k, 8m or 1g' },
  {
    key: 'proxy-next-upstream',
    value: 'error;',
    reason:
      'must list conditions from error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off',
  },
  {
    key: 'proxy-next-upstream-timeout',
    value: '-1',
    reason: 'must be a whole number of seconds (such as 60, 60s, 5m or 1h), at least 0',
  },
  { key: 'proxy-next-upstream-tries', value: '101', reason: 'must be a whole number from 0 to 100' },
  {
    key: 'proxy-cookie-domain',
    value: 'a b c',
    reason: 'must be "off" or two values, what to replace and its replacement, separated by a space',
  },
  {
    key: 'proxy-cookie-path',
    value: '/ $uri',
    reason: 'must use only letters, digits and -._~/: in each value',
  },
  {
    key: 'proxy-redirect-from',
    value: 'http://localhost/',
    reason:
      'proxy-redirect-from and proxy-redirect-to replace a prefix together: set both (or proxy-redirect-from to "off" or "default")',
  },
  {
    key: 'proxy-redirect-to',
    value: '/$1',
    reason:
      'must be "off", "default", a path, or an http(s)://host[:port]/path prefix, without "$", quotes or spaces',
  },
  { key: 'upstream-keepalive-connections', value: '10001', reason: 'must be between 0 and 10000' },
  { key: 'load-balance', value: 'least_conn', reason: 'must be "round_robin" or "ewma"' },
  {
    key: 'global-allowed-response-headers',
    value: 'X-Frame-Options; add_header',
    reason: 'must be a comma-separated list of header names',
  },
  { key: 'allow-snippet-annotations', value: 'yes', reason: 'must be "true" or "false"' },
];

describe('ConfigMap keys', () => {
  it('has a case here for every supported key', () => {
    const covered = new Set([...valid.map((c) => c.key), ...invalid.map((c) => c.key), 'hsts-max-age']);
    // global-auth-* only work together: test/unit/annotations/externalAuth.test.ts has their table.
    assert.deepEqual(
      [...covered].sort(),
      [
        ...Object.keys(CONFIGMAP_KEYS).filter((k) => !k.startsWith('global-auth-')),
        ...Object.keys(PROXY_KEYS),
      ].sort(),
    );
  });

  it('uses the defaults when the ConfigMap does not exist', () => {
    const { result } = renderWithConfig(undefined);
    assert.deepEqual(messages(result), []);
    for (const line of [
      'worker_processes auto;',
      'keepalive 320;',
      'proxy_read_timeout 60s;',
      'ssl_protocols TLSv1.2 TLSv1.3;',
    ])
      assert.ok(lines(defaults).includes(line), line);
    assert.ok(lines(defaults).includes('return 308 https://$host$gatehouse_uri_without_slash;'));
    // HSTS is on, with includeSubDomains, as in ingress-nginx.
    assert.ok(lines(defaults).includes('https "max-age=31536000; includeSubDomains";'));
  });

  for (const c of valid) {
    it(`${c.key}: ${JSON.stringify(c.value)} is applied`, () => {
      const { result, conf } = renderWithConfig({ [c.key]: c.value });
      assert.deepEqual(messages(result), []);
      for (const line of c.has) assert.ok(lines(conf).includes(line), `missing ${line}`);
      for (const line of c.lacks) assert.ok(!lines(conf).includes(line), `unexpected ${line}`);
      for (const line of c.lacks)
        assert.ok(lines(defaults).includes(line) || line === 'keepalive 0;', `${line} is no default`);
    });
  }

  for (const c of invalid) {
    it(`${c.key}: ${JSON.stringify(c.value)} keeps the default, with an error naming the key`, () => {
      const { result, conf } = renderWithConfig({ [c.key]: c.value });
      assert.deepEqual(messages(result), [
        `error: ConfigMap gatehouse/config: data.${c.key}: ${c.reason}; the default is used`,
      ]);
      assert.equal(conf.replace(/[0-9a-f]{32}/g, 'X'), defaults.replace(/[0-9a-f]{32}/g, 'X'));
    });
  }

  it('reads the client address from the trusted proxies and header the ConfigMap names', () => {
    const { conf } = renderWithConfig({
      'use-forwarded-headers': 'true',
      'proxy-real-ip-cidr': '10.0.0.0/8, fd00::/8',
      'forwarded-for-header': 'X-Client-IP',
    });
    for (const line of [
      'real_ip_header X-Client-IP;',
      'set_real_ip_from 10.0.0.0/8;',
      'set_real_ip_from fd00::/8;',
    ])
      assert.ok(lines(conf).includes(line), line);
    assert.ok(!lines(conf).includes('set_real_ip_from 0.0.0.0/0;'));
  });

  it('lets an Ingress replace the default allowlist with its own', () => {
    const { conf } = renderWithConfig(
      { 'whitelist-source-range': '10.0.0.0/8' },
      { 'nginx.ingress.kubernetes.io/allowlist-source-range': '192.168.0.0/16' },
    );
    const server = conf.slice(conf.indexOf('server_name web.example.com;'));
    const variable = /if \(\$(gatehouse_allowlist_\w+)\)/.exec(server)?.[1] ?? '';
    assert.match(
      conf,
      new RegExp(`geo \\$${variable} \\{\\n\\s+default 1;\\n\\s+192\\.168\\.0\\.0/16 0;\\n`),
    );
    assert.equal(server.match(/if \(\$gatehouse_allowlist_/g)?.length, 1, 'one allowlist per location');
  });

  it('refuses an Ingress whose annotation is riskier than annotations-risk-level, naming it', () => {
    const annotations = {
      'nginx.ingress.kubernetes.io/proxy-body-size': '8m', // Medium
      'nginx.ingress.kubernetes.io/ssl-redirect': 'false', // Low
    };
    const low = renderWithConfig({ 'annotations-risk-level': 'Low' }, annotations);
    assert.deepEqual(messages(low.result), [
      "error: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/proxy-body-size]: this annotation's risk level is Medium, above the Low the controller accepts (ConfigMap annotations-risk-level)",
    ]);
    assert.ok(!low.conf.includes('web.example.com'));
    const medium = renderWithConfig({ 'annotations-risk-level': 'Medium' }, annotations);
    assert.deepEqual(messages(medium.result), []);
    assert.ok(lines(medium.conf).includes('client_max_body_size 8m;'));
  });

  it('hsts-max-age sets the max-age of the HSTS header', () => {
    const { conf } = renderWithConfig({ 'hsts-max-age': '600' });
    assert.ok(lines(conf).includes('https "max-age=600; includeSubDomains";'));
  });

  it('lets an annotation override the ConfigMap default for its Ingress', () => {
    const { conf } = renderWithConfig(
      { 'proxy-read-timeout': '120' },
      { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '30' },
    );
    const server = conf.slice(conf.indexOf('server_name web.example.com;'));
    assert.match(server, /location "\/" \{[^}]*proxy_read_timeout 30s;/);
    assert.ok(!server.includes('proxy_read_timeout 60s;'));
  });

  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'unknown-key']) {
    it(`ignores the unsupported key ${key} with a warning`, () => {
      const data = JSON.parse(`{${JSON.stringify(key)}: "1", "keep-alive": "10"}`) as Record<string, string>;
      assert.ok(Object.hasOwn(data, key));
      const { result, conf } = renderWithConfig(data);
      assert.deepEqual(messages(result), [
        `warning: ConfigMap gatehouse/config: data.${key}: key is not supported and was ignored`,
      ]);
      assert.ok(lines(conf).includes('keepalive_timeout 10s;'));
      assert.equal(({} as Record<string, unknown>)['1'], undefined);
    });
  }

  it('reads only the ConfigMap named by the option', () => {
    const other = { ...configMap({ 'keep-alive': '5' }), metadata: { name: 'config', namespace: 'other' } };
    const { result, conf } = renderObjects([other], { configMap: CONFIG });
    assert.deepEqual(messages(result), []);
    assert.ok(lines(conf).includes('keepalive_timeout 75s;'));
  });
});
