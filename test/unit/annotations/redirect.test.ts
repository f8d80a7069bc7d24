import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redirectFamily } from '../../../src/annotations/redirect.ts';
import { configMap, ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { messages, renderObjects, serverBlock } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const REDIRECT = 'return 308 https://$host$gatehouse_uri_without_slash;';
const PRESERVED = 'return 308 https://$host$request_uri;';
/** The trimmed lines of a config (the HTTPS redirect may sit in the shared redirect server). */
const lines = (conf: string): string[] => conf.split('\n').map((l) => l.trim());
const URL_REASON = 'must be an absolute http or https URL';
const PATH_REASON = 'must be a path starting with "/", in letters, digits and -._~/:@!&()*+,=?%';

familyTable(
  redirectFamily,
  [
    // app-root is a server setting: its line is in the server block, before the locations.
    { annotation: 'app-root', value: '/app', has: [] },
    { annotation: 'force-ssl-redirect', value: 'true', has: [], conf: [REDIRECT] },
    { annotation: 'force-ssl-redirect', value: 'false', has: [], lacks: [REDIRECT] },
    { annotation: 'from-to-www-redirect', value: 'true', has: [] },
    {
      annotation: 'permanent-redirect',
      value: 'https://new.example.com/moved?from=old',
      has: ['return 301 "https://new.example.com/moved?from=old";'],
      lacks: ['proxy_pass http://default_web_80;'],
    },
    // Parsed and rebuilt: the host is lower-cased, a default port and an empty path normalised.
    {
      annotation: 'permanent-redirect',
      value: 'HTTPS://New.Example.com:443',
      has: ['return 301 "https://new.example.com/";'],
    },
    {
      annotation: 'permanent-redirect-code',
      value: '308',
      with: { 'permanent-redirect': 'https://new.example.com/' },
      has: ['return 308 "https://new.example.com/";'],
    },
    {
      annotation: 'preserve-trailing-slash',
      value: 'true',
      tls: true,
      has: [],
      conf: [PRESERVED],
      lacks: [REDIRECT],
    },
    { annotation: 'relative-redirects', value: 'true', has: ['absolute_redirect off;'] },
    // NGINX on 8443 behind a Service on 443: the HTTPS redirect names the port only when asked to.
    {
      annotation: 'use-port-in-redirects',
      value: 'true',
      tls: true,
      options: { listen: { httpPort: 8080, httpsPort: 8443 } },
      has: ['port_in_redirect on;'],
      conf: ['return 308 https://$host:8443$gatehouse_uri_without_slash;'],
      lacks: [REDIRECT],
    },
    {
      annotation: 'use-port-in-redirects',
      value: 'false',
      tls: true,
      options: { listen: { httpPort: 8080, httpsPort: 8443 } },
      has: [],
      conf: [REDIRECT],
      lacks: ['port_in_redirect on;', 'port_in_redirect off;'],
    },
    { annotation: 'ssl-redirect', value: 'false', tls: true, has: [], lacks: [REDIRECT] },
    { annotation: 'ssl-redirect', value: 'true', tls: true, has: [], conf: [REDIRECT] },
    // Go's ParseBool, as ingress-nginx reads booleans.
    { annotation: 'ssl-redirect', value: 'False', tls: true, has: [], lacks: [REDIRECT] },
    {
      annotation: 'temporal-redirect',
      value: 'http://maintenance.example.com:8080/',
      has: ['return 302 "http://maintenance.example.com:8080/";'],
    },
    {
      annotation: 'temporal-redirect-code',
      value: '307',
      with: { 'temporal-redirect': 'https://maintenance.example.com/' },
      has: ['return 307 "https://maintenance.example.com/";'],
    },
  ],
  [
    { annotation: 'app-root', value: 'app', reason: PATH_REASON },
    {
      annotation: 'app-root',
      value: '/app%0d%0aSet-Cookie:%20a=b',
      reason: 'must not encode control characters (%00 to %1F, %7F)',
    },
    {
      annotation: 'app-root',
      value: '/app%00',
      reason: 'must not encode control characters (%00 to %1F, %7F)',
    },
    { annotation: 'app-root', value: '/app$host', reason: PATH_REASON },
    {
      annotation: 'app-root',
      value: '//evil.example.com/',
      reason: 'must be a path on this host, not //host',
    },
    { annotation: 'force-ssl-redirect', value: 'yes', reason: 'must be "true" or "false"' },
    { annotation: 'from-to-www-redirect', value: 'on', reason: 'must be "true" or "false"' },
    { annotation: 'permanent-redirect', value: '/relative', reason: URL_REASON },
    { annotation: 'permanent-redirect', value: 'javascript:alert(1)', reason: URL_REASON },
    {
      annotation: 'permanent-redirect',
      value: 'https://a.example.com/$request_uri',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'permanent-redirect',
      value: 'https://a.example.com/x";return 200 "owned',
      reason: 'must use only letters, digits and -._~/:@!&()*+,=?% in its path and query',
    },
    {
      annotation: 'permanent-redirect',
      value: 'https://user:pw@a.example.com/',
      reason: 'must not carry a user name or password',
    },
    {
      annotation: 'permanent-redirect',
      value: 'https://a.example.com/#top',
      reason: 'must not have a #fragment',
    },
    {
      annotation: 'permanent-redirect-code',
      value: '200',
      with: { 'permanent-redirect': 'https://a.example.com/' },
      reason: 'must be a redirect status code from 300 to 308',
    },
    { annotation: 'preserve-trailing-slash', value: 'y', reason: 'must be "true" or "false"' },
    { annotation: 'relative-redirects', value: 'relative', reason: 'must be "true" or "false"' },
    { annotation: 'use-port-in-redirects', value: 'yes', reason: 'must be "true" or "false"' },
    { annotation: 'ssl-redirect', value: 'off', reason: 'must be "true" or "false"' },
    { annotation: 'temporal-redirect', value: 'ftp://files.example.com/', reason: URL_REASON },
    {
      annotation: 'temporal-redirect-code',
      value: '308',
      with: { 'temporal-redirect': 'https://a.example.com/' },
      reason: 'must be a redirect status code from 300 to 307',
    },
  ],
);

const A = 'nginx.ingress.kubernetes.io/';
const site = (name: string, host: string, annotations: Record<string, string>, createdAt?: string) =>
  ingress({
    name,
    annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])),
    ...(createdAt === undefined ? {} : { creationTimestamp: createdAt }),
    rules: [{ host, paths: [{ service: 'web', port: 80 }] }],
  });
const web = serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]);

describe('redirect family, beyond the table', () => {
  it('prefers temporal-redirect over permanent-redirect, and says so', () => {
    const { result, location } = renderWith(
      prefixed({
        'temporal-redirect': 'https://t.example.com/',
        'permanent-redirect': 'https://p.example.com/',
      }),
    );
    assert.ok(location.includes('return 302 "https://t.example.com/";'), location.join('\n'));
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: metadata.annotations[${A}permanent-redirect]: ignored: temporal-redirect is also set and takes precedence`,
    ]);
  });

  it('redirects / to app-root for the whole host, once, from the oldest Ingress that sets it', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      site('old', 'web.example.com', { 'app-root': '/app' }, '2024-01-01T00:00:00Z'),
      ingress({
        name: 'new',
        annotations: { [`${A}app-root`]: '/other' },
        creationTimestamp: '2024-02-01T00:00:00Z',
        rules: [{ host: 'web.example.com', paths: [{ path: '/api', service: 'web', port: 80 }] }],
      }),
      ...web,
    ]);
    const server = serverBlock(conf, 'web.example.com');
    assert.match(server, /if \(\$uri = \/\) \{\n\s+return 302 "\$scheme:\/\/\$gatehouse_host\/app";/);
    assert.doesNotMatch(server, /\/other/);
    assert.deepEqual(messages(result), [
      `warning: Ingress default/new: metadata.annotations[${A}app-root]: ignored: an older Ingress on web.example.com sets app-root for the whole host`,
    ]);
  });

  it('answers the www-less name with a redirect server, unless another Ingress serves that name', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      site('www', 'www.example.com', { 'from-to-www-redirect': 'true' }),
      site('apex', 'shop.example.com', { 'from-to-www-redirect': 'true' }),
      site('taken', 'www.shop.example.com', {}),
      ...web,
    ]);
    assert.match(
      conf,
      /server_name example\.com;\n\s+return 308 \$scheme:\/\/www\.example\.com\$gatehouse_port_suffix\$request_uri;/,
    );
    assert.deepEqual(messages(result), [
      `warning: Ingress default/apex: metadata.annotations[${A}from-to-www-redirect]: www.shop.example.com is already served by a rule or alias (or is no host name); it is not redirected to shop.example.com`,
    ]);
  });
});

describe('use-port-in-redirects', () => {
  const listen = { httpPort: 8080, httpsPort: 8443 };
  const config = {
    objects: [configMap({ 'use-port-in-redirects': 'true' })],
    options: { configMap: { namespace: 'ops', name: 'gatehouse' }, listen },
  };

  it('follows the ConfigMap where the Ingress does not say, and an Ingress may turn it off', () => {
    const inherited = renderWith({}, { tls: true, ...config });
    assert.ok(inherited.conf.includes('    port_in_redirect on;\n'));
    assert.ok(lines(inherited.conf).includes('return 308 https://$host:8443$gatehouse_uri_without_slash;'));
    assert.ok(!inherited.location.some((l) => l.startsWith('port_in_redirect')));
    const off = renderWith(prefixed({ 'use-port-in-redirects': 'false' }), { tls: true, ...config });
    assert.ok(off.location.includes('port_in_redirect off;'));
    assert.ok(lines(off.conf).includes(REDIRECT));
  });

  it('leaves the default port out even when asked for it', () => {
    const { conf } = renderWith(prefixed({ 'use-port-in-redirects': 'true' }), { tls: true });
    assert.ok(lines(conf).includes(REDIRECT));
  });
});
