import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sourceRangeFamily } from '../../../src/annotations/source-range.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const LIST_REASON = 'must be a comma-separated list of IP addresses or CIDRs';

/** The one `if (...) { return 403; }` line naming the list's geo variable, and that variable. */
function refusal(location: readonly string[], kind: 'allowlist' | 'denylist'): string {
  const line = location.find((l) => l.startsWith(`if ($gatehouse_${kind}_`));
  assert.ok(line !== undefined, `no ${kind} check in\n${location.join('\n')}`);
  return /\$(\w+)/.exec(line)?.[1] ?? '';
}

familyTable(
  sourceRangeFamily,
  [
    {
      annotation: 'allowlist-source-range',
      value: '192.168.1.1, 10.0.0.0/8,fd00::/8',
      has: ['return 403;'],
      conf: ['default 1;', '10.0.0.0/8 0;', '192.168.1.1 0;', 'fd00::/8 0;'],
      lacks: ['deny all;'],
    },
    {
      annotation: 'satisfy',
      value: 'any',
      with: { 'allowlist-source-range': '10.0.0.0/8, 192.0.2.1', 'auth-url': 'http://192.0.2.40/auth' },
      has: [
        'satisfy any;',
        'allow 10.0.0.0/8;',
        'allow 192.0.2.1;',
        'deny all;',
        'auth_request_set $gatehouse_auth_cookie $upstream_http_set_cookie;',
      ],
      lacks: ['return 403;'],
    },
    {
      annotation: 'satisfy',
      value: 'all',
      with: { 'allowlist-source-range': '10.0.0.0/8', 'auth-url': 'http://192.0.2.40/auth' },
      has: ['return 403;'],
      lacks: ['satisfy any;'],
    },
    {
      annotation: 'whitelist-source-range',
      value: '10.0.0.0/8',
      has: ['return 403;'],
      conf: ['10.0.0.0/8 0;'],
    },
    {
      annotation: 'denylist-source-range',
      value: '203.0.113.7,2001:db8::/32',
      has: ['return 403;'],
      conf: ['default 0;', '203.0.113.7 1;', '2001:db8::/32 1;'],
    },
    {
      annotation: 'denylist-source-range',
      value: '10.1.2.3/8, 10.0.0.0/8, 2001:DB8:0:0::1',
      has: ['return 403;'],
      // Canonical forms, once each: the network of a CIDR with host bits, IPv6 in its short form.
      conf: ['10.0.0.0/8 1;', '2001:db8::1 1;'],
    },
  ],
  [
    { annotation: 'satisfy', value: 'either', reason: 'must be "any" or "all"' },
    { annotation: 'allowlist-source-range', value: 'not-an-ip', reason: LIST_REASON },
    { annotation: 'allowlist-source-range', value: '10.0.0.0/33', reason: LIST_REASON },
    { annotation: 'allowlist-source-range', value: '10.0.0.1,x', reason: LIST_REASON },
    {
      annotation: 'allowlist-source-range',
      value: ' , ',
      reason: 'must list at least one IP address or CIDR',
    },
    { annotation: 'whitelist-source-range', value: '10.0.0.0/8;', reason: LIST_REASON },
    { annotation: 'denylist-source-range', value: '10.0.0.0/8 } include /etc/passwd', reason: LIST_REASON },
    {
      annotation: 'denylist-source-range',
      value: Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(','),
      reason: 'must list at most 256 addresses or CIDRs',
    },
  ],
);

describe('allow- and denylists', () => {
  it('refuse with both lists: the denylist wins over the allowlist', () => {
    const { location, conf } = renderWith(
      prefixed({ 'allowlist-source-range': '10.0.0.0/8', 'denylist-source-range': '10.6.6.6' }),
    );
    const deny = refusal(location, 'denylist');
    const allow = refusal(location, 'allowlist');
    assert.match(conf, new RegExp(`geo \\$${deny} \\{\\n\\s+default 0;\\n\\s+10\\.6\\.6\\.6 1;\\n\\s+\\}`));
    assert.match(
      conf,
      new RegExp(`geo \\$${allow} \\{\\n\\s+default 1;\\n\\s+10\\.0\\.0\\.0/8 0;\\n\\s+\\}`),
    );
  });

  it('are named after their content, so the same list in another order is the same block', () => {
    const a = renderWith(prefixed({ 'allowlist-source-range': '10.0.0.0/8,192.168.0.0/16' }));
    const b = renderWith(prefixed({ 'allowlist-source-range': '192.168.0.0/16, 10.0.0.0/8' }));
    assert.equal(refusal(a.location, 'allowlist'), refusal(b.location, 'allowlist'));
  });
});

describe('whitelist-source-range, the old name of allowlist-source-range', () => {
  it('means the same', () => {
    const old = renderWith(prefixed({ 'whitelist-source-range': '10.1.0.0/16,10.0.0.1' }));
    const current = renderWith(prefixed({ 'allowlist-source-range': '10.1.0.0/16,10.0.0.1' }));
    assert.deepEqual(old.location, current.location);
  });

  it('loses to allowlist-source-range when both are set', () => {
    const { result, conf } = renderWith(
      prefixed({ 'allowlist-source-range': '10.0.0.0/8', 'whitelist-source-range': '0.0.0.0/0' }),
    );
    assert.match(conf, /^\s+10\.0\.0\.0\/8 0;$/m);
    assert.doesNotMatch(conf, /0\.0\.0\.0\/0/);
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]: ignored: allowlist-source-range is also set and takes precedence',
    ]);
  });
});

describe('satisfy any', () => {
  it('keeps the denylist absolute, and means nothing without credentials to ask for', () => {
    const { location } = renderWith(
      prefixed({
        satisfy: 'any',
        'allowlist-source-range': '10.0.0.0/8',
        'denylist-source-range': '10.1.0.0/16',
        'auth-url': 'http://192.0.2.40/auth',
      }),
    );
    refusal(location, 'denylist');
    assert.ok(location.includes('satisfy any;'));
    const plain = renderWith(prefixed({ satisfy: 'any', 'allowlist-source-range': '10.0.0.0/8' }));
    refusal(plain.location, 'allowlist');
    assert.ok(!plain.location.includes('satisfy any;'));
  });
});
