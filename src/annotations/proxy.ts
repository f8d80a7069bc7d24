import { z } from 'zod';
import type { ProxyTuning } from '../model/nginx.ts';
import { defineFamily, defined, type KeyDef } from './spec.ts';
import { bufferSize, duration, int, list, onOff, seconds, size } from './values.ts';

/** `off`, or a "from to" pair of plain tokens (proxy_cookie_domain, proxy_cookie_path). */
const cookieRewrite = z
  .string()
  .trim()
  .transform((v) => v.split(/\s+/))
  .refine((parts) => (parts.length === 1 && parts[0] === 'off') || parts.length === 2, {
    message: 'must be "off" or two values, what to replace and its replacement, separated by a space',
  })
  .refine((parts) => parts.every((p) => /^[A-Za-z0-9\-._~/:]+$/.test(p)), {
    message: 'must use only letters, digits and -._~/: in each value',
  });

/** One side of proxy_redirect: a path or absolute http(s) URL prefix, in plain characters. */
const redirectSide = z
  .string()
  .trim()
  .regex(
    /^((https?:\/\/[a-z0-9.-]+(:\d{1,5})?)?\/[A-Za-z0-9\-._~/:@!&()*+,=]*|off|default)$/,
    'must be "off", "default", a path, or an http(s)://host[:port]/path prefix, without "$", quotes or spaces',
  );

const NEXT_UPSTREAM = [
  'error',
  'timeout',
  'invalid_header',
  'http_500',
  'http_502',
  'http_503',
  'http_504',
  'http_403',
  'http_404',
  'http_429',
  'non_idempotent',
  'off',
] as const;

const key = <T>(
  schema: z.ZodType<T>,
  description: string,
  example: string,
  risk: 'Low' | 'Medium' = 'Low',
): KeyDef<T> => ({ schema, risk, scope: 'location', description, example });

/**
 * Proxy tuning, as ingress-nginx names it. Every key here is also a ConfigMap key that sets the default
 * for all Ingresses (config/global-config.ts), printed once in the http block.
 */
export const PROXY_KEYS = {
  'client-body-buffer-size': key(
    bufferSize,
    'Buffer for reading request bodies (client_body_buffer_size).',
    '16k',
  ),
  'proxy-body-size': key(
    size,
    'Largest request body allowed (client_max_body_size); 0 means no limit.',
    '8m',
    'Medium',
  ),
  'proxy-buffer-size': key(
    bufferSize,
    'Buffer for the response headers from the pods (proxy_buffer_size).',
    '8k',
  ),
  'proxy-buffering': key(onOff, 'Buffer responses from the pods: "on" or "off".', 'on'),
  'proxy-buffers-number': key(
    int(4, 1024),
    'Number of proxy-buffer-size buffers per connection (proxy_buffers); NGINX needs at least 4.',
    '8',
  ),
  'proxy-busy-buffers-size': key(
    bufferSize,
    'Buffers busy sending to the client (proxy_busy_buffers_size).',
    '16k',
  ),
  'proxy-connect-timeout': key(seconds, 'Seconds to wait for a connection to a pod.', '5'),
  'proxy-cookie-domain': key(
    cookieRewrite,
    'Rewrite the domain of Set-Cookie headers: "off" or "from to".',
    'internal.svc example.com',
    'Medium',
  ),
  'proxy-cookie-path': key(
    cookieRewrite,
    'Rewrite the path of Set-Cookie headers: "off" or "from to".',
    '/ /app/',
    'Medium',
  ),
  'proxy-http-version': key(
    z
      .string()
      .trim()
      .pipe(z.enum(['1.0', '1.1'], { error: 'must be "1.0" or "1.1"' })),
    'HTTP version spoken to the pods; 1.0 disables upstream keep-alive.',
    '1.1',
  ),
  'proxy-max-temp-file-size': key(
    size,
    'Largest response part buffered to a temporary file; 0 turns that off.',
    '1024m',
  ),
  'proxy-next-upstream': key(
    list(z.enum(NEXT_UPSTREAM, { error: `must list conditions from ${NEXT_UPSTREAM.join(', ')}` })),
    'When to try the next pod: error, timeout, invalid_header, http_5xx, http_403, http_404, http_429, non_idempotent or off.',
    'error timeout http_502',
    'Medium',
  ),
  'proxy-next-upstream-timeout': key(
    duration(0),
    'Seconds for passing a request to the next pods; 0 means no limit.',
    '10',
  ),
  'proxy-next-upstream-tries': key(
    int(0, 100),
    'Attempts at passing a request to pods; 0 means no limit.',
    '3',
  ),
  'proxy-read-timeout': key(seconds, 'Seconds to wait between two reads from a pod.', '60'),
  'proxy-redirect-from': key(
    redirectSide,
    'Location/Refresh prefix from the pods to replace (with proxy-redirect-to), or "off"/"default".',
    'http://localhost:8080/',
    'Medium',
  ),
  'proxy-redirect-to': key(redirectSide, 'What proxy-redirect-from is replaced with.', '/app/', 'Medium'),
  'proxy-request-buffering': key(
    onOff,
    'Buffer request bodies before passing them on: "on" or "off".',
    'off',
  ),
  'proxy-send-timeout': key(seconds, 'Seconds to wait between two writes to a pod.', '60'),
} as const;

/** The ProxyTuning fields the proxy keys set, for the ones an Ingress (or the ConfigMap) gave. */
export const proxyFamily = defineFamily({
  concern: 'proxy',
  keys: PROXY_KEYS,
  build: (v, { report }): Partial<ProxyTuning> => {
    const from = v['proxy-redirect-from'];
    const to = v['proxy-redirect-to'];
    let redirect: readonly string[] | undefined;
    if (from === 'off' || from === 'default') redirect = [from];
    else if (from !== undefined && to !== undefined && to !== 'off' && to !== 'default')
      redirect = [from, to];
    else if (from !== undefined || to !== undefined)
      report(
        from === undefined ? 'proxy-redirect-to' : 'proxy-redirect-from',
        'proxy-redirect-from and proxy-redirect-to replace a prefix together: set both (or proxy-redirect-from to "off" or "default")',
      );
    const tries = v['proxy-next-upstream'];
    return defined({
      connectTimeoutSeconds: v['proxy-connect-timeout'],
      readTimeoutSeconds: v['proxy-read-timeout'],
      sendTimeoutSeconds: v['proxy-send-timeout'],
      bodySize: v['proxy-body-size'],
      clientBodyBufferSize: v['client-body-buffer-size'],
      buffering: v['proxy-buffering'],
      requestBuffering: v['proxy-request-buffering'],
      bufferSize: v['proxy-buffer-size'],
      buffersNumber: v['proxy-buffers-number'],
      busyBuffersSize: v['proxy-busy-buffers-size'],
      maxTempFileSize: v['proxy-max-temp-file-size'],
      httpVersion: v['proxy-http-version'],
      // "off" alone switches retries off; NGINX refuses it next to conditions.
      nextUpstream: tries?.includes('off') === true ? ['off'] : tries && [...new Set(tries)],
      nextUpstreamTimeoutSeconds: v['proxy-next-upstream-timeout'],
      nextUpstreamTries: v['proxy-next-upstream-tries'],
      cookieDomain: v['proxy-cookie-domain'],
      cookiePath: v['proxy-cookie-path'],
      redirect,
    });
  },
});
