import { proxyFamily } from '../../../src/annotations/proxy.ts';
import { familyTable } from './table.ts';

const SECONDS = 'must be a whole number of seconds (such as 60, 60s, 5m or 1h), at least 1';
const SIZE = 'must be a size such as 0, 512k, 8m or 1g';
const BUFFER = 'must be a size such as 4k, 16k or 1m';
const PAIR = 'must be "off" or two values, what to replace and its replacement, separated by a space';
const REDIRECT_SIDE =
  'must be "off", "default", a path, or an http(s)://host[:port]/path prefix, without "$", quotes or spaces';
const BOTH =
  'proxy-redirect-from and proxy-redirect-to replace a prefix together: set both (or proxy-redirect-from to "off" or "default")';

familyTable(
  proxyFamily,
  [
    { annotation: 'client-body-buffer-size', value: '64k', has: ['client_body_buffer_size 64k;'] },
    { annotation: 'proxy-body-size', value: '8M', has: ['client_max_body_size 8m;'] },
    { annotation: 'proxy-body-size', value: '0', has: ['client_max_body_size 0;'] },
    { annotation: 'proxy-body-size', value: '0m', has: ['client_max_body_size 0m;'] },
    { annotation: 'proxy-body-size', value: '5G', has: ['client_max_body_size 5g;'] },
    { annotation: 'proxy-body-size', value: '2048m', has: ['client_max_body_size 2048m;'] },
    { annotation: 'proxy-body-size', value: ' 100m ', has: ['client_max_body_size 100m;'] },
    // The http block's default: the location inherits it and prints nothing.
    { annotation: 'proxy-body-size', value: '1m', has: [], lacks: ['client_max_body_size 1m;'] },
    // proxy_buffers names the size too, so either key prints both directives.
    {
      annotation: 'proxy-buffer-size',
      value: '16k',
      has: ['proxy_buffer_size 16k;', 'proxy_buffers 4 16k;'],
    },
    { annotation: 'proxy-buffering', value: 'on', has: ['proxy_buffering on;'] },
    { annotation: 'proxy-buffering', value: 'off', has: [], lacks: ['proxy_buffering off;'] },
    { annotation: 'proxy-buffers-number', value: '8', has: ['proxy_buffer_size 4k;', 'proxy_buffers 8 4k;'] },
    { annotation: 'proxy-busy-buffers-size', value: '8k', has: ['proxy_busy_buffers_size 8k;'] },
    { annotation: 'proxy-connect-timeout', value: '10', has: ['proxy_connect_timeout 10s;'] },
    { annotation: 'proxy-connect-timeout', value: '30s', has: ['proxy_connect_timeout 30s;'] },
    {
      annotation: 'proxy-cookie-domain',
      value: 'backend.svc  example.com',
      has: ['proxy_cookie_domain backend.svc example.com;'],
    },
    { annotation: 'proxy-cookie-path', value: '/ /app/', has: ['proxy_cookie_path / /app/;'] },
    { annotation: 'proxy-http-version', value: '1.0', has: ['proxy_http_version 1.0;'] },
    { annotation: 'proxy-max-temp-file-size', value: '0', has: ['proxy_max_temp_file_size 0;'] },
    {
      annotation: 'proxy-next-upstream',
      value: 'error timeout http_502 http_503',
      has: ['proxy_next_upstream error timeout http_502 http_503;'],
    },
    { annotation: 'proxy-next-upstream', value: 'off', has: ['proxy_next_upstream off;'] },
    { annotation: 'proxy-next-upstream-timeout', value: '15', has: ['proxy_next_upstream_timeout 15s;'] },
    { annotation: 'proxy-next-upstream-tries', value: '1', has: ['proxy_next_upstream_tries 1;'] },
    { annotation: 'proxy-read-timeout', value: '3600', has: ['proxy_read_timeout 3600s;'] },
    { annotation: 'proxy-read-timeout', value: '86400', has: ['proxy_read_timeout 86400s;'] },
    { annotation: 'proxy-read-timeout', value: '18000s', has: ['proxy_read_timeout 18000s;'] },
    { annotation: 'proxy-read-timeout', value: '1h', has: ['proxy_read_timeout 3600s;'] },
    {
      annotation: 'proxy-redirect-from',
      value: 'http://localhost:8080/',
      with: { 'proxy-redirect-to': '/app/' },
      has: ['proxy_redirect "http://localhost:8080/" "/app/";'],
    },
    { annotation: 'proxy-redirect-from', value: 'default', has: ['proxy_redirect default;'] },
    {
      annotation: 'proxy-redirect-to',
      value: 'https://shop.example.com/',
      with: { 'proxy-redirect-from': '/' },
      has: ['proxy_redirect "/" "https://shop.example.com/";'],
    },
    { annotation: 'proxy-request-buffering', value: 'off', has: ['proxy_request_buffering off;'] },
    { annotation: 'proxy-send-timeout', value: '1s', has: ['proxy_send_timeout 1s;'] },
  ],
  [
    { annotation: 'client-body-buffer-size', value: '1g', reason: BUFFER },
    { annotation: 'proxy-body-size', value: '8mb', reason: SIZE },
    { annotation: 'proxy-body-size', value: '-1', reason: SIZE },
    { annotation: 'proxy-body-size', value: '2048g', reason: `${SIZE}, at most 1024g` },
    { annotation: 'proxy-buffer-size', value: '1.5k', reason: BUFFER },
    { annotation: 'proxy-buffering', value: 'true', reason: 'must be "on" or "off"' },
    { annotation: 'proxy-buffers-number', value: '2', reason: 'must be a whole number from 4 to 1024' },
    { annotation: 'proxy-busy-buffers-size', value: '16 k', reason: BUFFER },
    { annotation: 'proxy-connect-timeout', value: '0', reason: 'must be between 1 and 2147483 seconds' },
    { annotation: 'proxy-cookie-domain', value: 'a', reason: PAIR },
    {
      annotation: 'proxy-cookie-path',
      value: '/ /$1;',
      reason: 'must use only letters, digits and -._~/: in each value',
    },
    { annotation: 'proxy-http-version', value: '2.0', reason: 'must be "1.0" or "1.1"' },
    { annotation: 'proxy-max-temp-file-size', value: 'lots', reason: SIZE },
    {
      annotation: 'proxy-next-upstream',
      value: 'error http_418',
      reason:
        'must list conditions from error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off',
    },
    { annotation: 'proxy-next-upstream', value: ' ', reason: 'must list at least 1' },
    {
      annotation: 'proxy-next-upstream-timeout',
      value: 'never',
      reason: 'must be a whole number of seconds (such as 60, 60s, 5m or 1h), at least 0',
    },
    { annotation: 'proxy-next-upstream-tries', value: '-1', reason: 'must be a whole number from 0 to 100' },
    { annotation: 'proxy-read-timeout', value: '1w', reason: SECONDS },
    { annotation: 'proxy-read-timeout', value: '9999999', reason: 'must be between 1 and 2147483 seconds' },
    { annotation: 'proxy-redirect-from', value: 'http://x/', reason: BOTH },
    { annotation: 'proxy-redirect-from', value: 'http://x/ $host', reason: REDIRECT_SIDE },
    { annotation: 'proxy-redirect-to', value: '/app/', reason: BOTH },
    { annotation: 'proxy-redirect-to', value: 'javascript:alert(1)', reason: REDIRECT_SIDE },
    { annotation: 'proxy-request-buffering', value: 'On', reason: 'must be "on" or "off"' },
    { annotation: 'proxy-send-timeout', value: '1m30s', reason: SECONDS },
  ],
);
