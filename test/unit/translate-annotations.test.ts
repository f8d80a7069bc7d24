import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  ANNOTATION_PREFIX,
  SNIPPET_ANNOTATIONS,
  UNSUPPORTED_ACCESS_CONTROL,
} from '../../src/annotations/registry.ts';
import {
  certificateFor,
  ingress,
  ingressClass,
  serviceWithEndpoints,
  tlsSecret,
  type TestCertificate,
} from '../support/fixtures.ts';
import { messages, outcome, renderObjects } from './harness.ts';

let cert: TestCertificate;
before(async () => {
  cert = await certificateFor('web.example.com');
});

/** Renders one Ingress with the given annotations and returns its `location "/"` block as NGINX reads it. */
function renderWith(annotations: Record<string, string>, tls = false) {
  const objects: KubernetesObject[] = [
    ingressClass(),
    ingress({
      name: 'web',
      annotations,
      ...(tls ? { tls: [{ secretName: 'web-tls' }] } : {}),
      rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
    }),
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ...(tls ? [tlsSecret('web-tls', cert)] : []),
  ];
  const { result, conf } = renderObjects(objects);
  const server = conf.slice(conf.indexOf('server_name web.example.com;'));
  const location = /location "\/" \{\n([^]*?)\n {8}\}/.exec(server)?.[1] ?? '(no location)';
  return { result, location };
}

const DEFAULTS = [
  'proxy_connect_timeout 5s;',
  'proxy_read_timeout 60s;',
  'proxy_send_timeout 60s;',
  'client_max_body_size 1m;',
  'proxy_buffering off;',
  'proxy_pass http://default_web_80;',
];

const lines = (block: string): string[] => block.split('\n').map((l) => l.trim());

const valid: { annotation: string; value: string; tls?: boolean; has: string[]; lacks?: string[] }[] = [
  {
    annotation: 'allowlist-source-range',
    value: '192.168.1.1, 10.0.0.0/8,fd00::/8',
    has: ['allow 10.0.0.0/8;', 'allow 192.168.1.1;', 'allow fd00::/8;', 'deny all;'],
  },
  {
    annotation: 'backend-protocol',
    value: 'HTTPS',
    has: ['proxy_ssl_server_name on;', 'proxy_pass https://default_web_80;'],
  },
  {
    annotation: 'backend-protocol',
    value: 'HTTP',
    has: ['proxy_pass http://default_web_80;'],
    lacks: ['proxy_ssl_server_name on;'],
  },
  { annotation: 'force-ssl-redirect', value: 'true', has: ['return 308 https://$host$request_uri;'] },
  {
    annotation: 'force-ssl-redirect',
    value: 'false',
    has: DEFAULTS,
    lacks: ['return 308 https://$host$request_uri;'],
  },
  { annotation: 'proxy-body-size', value: '8M', has: ['client_max_body_size 8m;'] },
  { annotation: 'proxy-body-size', value: '0', has: ['client_max_body_size 0;'] },
  { annotation: 'proxy-buffering', value: 'on', has: ['proxy_buffering on;'] },
  { annotation: 'proxy-connect-timeout', value: '10', has: ['proxy_connect_timeout 10s;'] },
  { annotation: 'proxy-connect-timeout', value: '30s', has: ['proxy_connect_timeout 30s;'] },
  { annotation: 'proxy-read-timeout', value: '3600', has: ['proxy_read_timeout 3600s;'] },
  { annotation: 'proxy-send-timeout', value: '1s', has: ['proxy_send_timeout 1s;'] },
  {
    annotation: 'ssl-redirect',
    value: 'false',
    tls: true,
    has: DEFAULTS,
    lacks: ['return 308 https://$host$request_uri;'],
  },
  { annotation: 'ssl-redirect', value: 'true', tls: true, has: ['return 308 https://$host$request_uri;'] },
  { annotation: 'whitelist-source-range', value: '10.0.0.0/8', has: ['allow 10.0.0.0/8;', 'deny all;'] },
];

const invalid: { annotation: string; value: string; reason: string }[] = [
  {
    annotation: 'allowlist-source-range',
    value: 'not-an-ip',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  {
    annotation: 'allowlist-source-range',
    value: '10.0.0.0/33',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  {
    annotation: 'allowlist-source-range',
    value: '10.0.0.1,x',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
  { annotation: 'allowlist-source-range', value: ' , ', reason: 'must list at least one IP address or CIDR' },
  { annotation: 'backend-protocol', value: 'GRPC', reason: 'must be HTTP or HTTPS' },
  { annotation: 'backend-protocol', value: 'https', reason: 'must be HTTP or HTTPS' },
  { annotation: 'force-ssl-redirect', value: 'yes', reason: 'must be "true" or "false"' },
  { annotation: 'proxy-body-size', value: '8mb', reason: 'must be a size such as 0, 512k, 8m or 1g' },
  { annotation: 'proxy-body-size', value: '-1', reason: 'must be a size such as 0, 512k, 8m or 1g' },
  { annotation: 'proxy-buffering', value: 'true', reason: 'must be "on" or "off"' },
  { annotation: 'proxy-connect-timeout', value: '0', reason: 'must be between 1 and 3600 seconds' },
  { annotation: 'proxy-read-timeout', value: '3601', reason: 'must be between 1 and 3600 seconds' },
  {
    annotation: 'proxy-send-timeout',
    value: '1m',
    reason: 'must be a whole number of seconds (1-3600), optionally ending in "s"',
  },
  { annotation: 'ssl-redirect', value: 'False', reason: 'must be "true" or "false"' },
  {
    annotation: 'whitelist-source-range',
    value: '10.0.0.0/8;',
    reason: 'must be a comma-separated list of IP addresses or CIDRs',
  },
];

describe('annotations', () => {
  it('has a valid and an invalid case here for every annotation in the registry', () => {
    const names = ANNOTATIONS.map((a) => a.name);
    assert.deepEqual([...new Set(valid.map((c) => c.annotation))].sort(), names);
    assert.deepEqual([...new Set(invalid.map((c) => c.annotation))].sort(), names);
  });

  it('uses the defaults when no annotation is set', () => {
    const { result, location } = renderWith({});
    assert.deepEqual(messages(result), []);
    assert.deepEqual(lines(location), DEFAULTS);
  });

  for (const c of valid) {
    it(`${c.annotation}: ${JSON.stringify(c.value)} is applied`, () => {
      const { result, location } = renderWith({ [ANNOTATION_PREFIX + c.annotation]: c.value }, c.tls);
      assert.deepEqual(messages(result), []);
      assert.equal(outcome(result, 'web'), 'served');
      for (const line of c.has) assert.ok(lines(location).includes(line), `missing ${line} in\n${location}`);
      for (const line of c.lacks ?? []) assert.ok(!lines(location).includes(line), `unexpected ${line}`);
    });
  }

  for (const c of invalid) {
    it(`${c.annotation}: ${JSON.stringify(c.value)} rejects the Ingress`, () => {
      const key = ANNOTATION_PREFIX + c.annotation;
      const { result, location } = renderWith({ [key]: c.value });
      assert.equal(outcome(result, 'web'), 'rejected');
      assert.deepEqual(messages(result), [
        `error: Ingress default/web: metadata.annotations[${key}]: ${c.reason}`,
      ]);
      assert.equal(location, '(no location)');
    });
  }

  it('treats whitelist-source-range as the old name of allowlist-source-range', () => {
    const old = renderWith({ [`${ANNOTATION_PREFIX}whitelist-source-range`]: '10.1.0.0/16,10.0.0.1' });
    const current = renderWith({ [`${ANNOTATION_PREFIX}allowlist-source-range`]: '10.1.0.0/16,10.0.0.1' });
    assert.equal(old.location, current.location);
  });

  it('prefers allowlist-source-range over its old name when both are set', () => {
    const { result, location } = renderWith({
      [`${ANNOTATION_PREFIX}allowlist-source-range`]: '10.0.0.0/8',
      [`${ANNOTATION_PREFIX}whitelist-source-range`]: '0.0.0.0/0',
    });
    assert.ok(lines(location).includes('allow 10.0.0.0/8;'), location);
    assert.ok(!lines(location).includes('allow 0.0.0.0/0;'), location);
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: metadata.annotations[${ANNOTATION_PREFIX}whitelist-source-range]: ignored: allowlist-source-range is also set and takes precedence`,
    ]);
  });

  for (const snippet of SNIPPET_ANNOTATIONS) {
    it(`rejects the Ingress for the snippet annotation ${snippet}`, () => {
      const key = ANNOTATION_PREFIX + snippet;
      const { result, location } = renderWith({ [key]: 'return 200 "pwned";' });
      assert.equal(outcome(result, 'web'), 'rejected');
      assert.deepEqual(messages(result), [
        `error: Ingress default/web: metadata.annotations[${key}]: snippet annotations are disabled: they would paste raw NGINX configuration`,
      ]);
      assert.equal(location, '(no location)');
    });
  }

  for (const name of UNSUPPORTED_ACCESS_CONTROL) {
    it(`rejects the Ingress for the unsupported access-control annotation ${name}`, () => {
      const key = ANNOTATION_PREFIX + name;
      const { result, location } = renderWith({ [key]: 'basic' });
      assert.equal(outcome(result, 'web'), 'rejected');
      assert.deepEqual(messages(result), [
        `error: Ingress default/web: metadata.annotations[${key}]: this access-control annotation is not supported yet; the Ingress is not served rather than served unprotected`,
      ]);
      assert.equal(location, '(no location)');
    });
  }

  it('warns about an unknown annotation and still serves the Ingress', () => {
    const key = `${ANNOTATION_PREFIX}rewrite-target`;
    const { result, location } = renderWith({ [key]: '/$1' });
    assert.equal(outcome(result, 'web'), 'served');
    assert.deepEqual(messages(result), [
      `warning: Ingress default/web: metadata.annotations[${key}]: annotation is not supported and was ignored`,
    ]);
    assert.deepEqual(lines(location), DEFAULTS);
  });

  it('ignores annotations of other prefixes', () => {
    const { result } = renderWith({
      'example.com/owner': 'team-a',
      'kubernetes.io/ingress.class': 'gatehouse',
    });
    assert.deepEqual(messages(result), []);
  });

  it('reports every bad annotation of an Ingress, not just the first', () => {
    const { result } = renderWith({
      [`${ANNOTATION_PREFIX}proxy-buffering`]: 'maybe',
      [`${ANNOTATION_PREFIX}ssl-redirect`]: 'nope',
    });
    assert.equal(result.diagnostics.length, 2);
  });
});
