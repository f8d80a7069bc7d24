import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowlistFamily } from '../../../src/annotations/allowlist.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const LIST_REASON = 'must be a comma-separated list of IP addresses or CIDRs';

familyTable(
  allowlistFamily,
  [
    {
      annotation: 'allowlist-source-range',
      value: '192.168.1.1, 10.0.0.0/8,fd00::/8',
      has: ['allow 10.0.0.0/8;', 'allow 192.168.1.1;', 'allow fd00::/8;', 'deny all;'],
    },
    { annotation: 'whitelist-source-range', value: '10.0.0.0/8', has: ['allow 10.0.0.0/8;', 'deny all;'] },
  ],
  [
    { annotation: 'allowlist-source-range', value: 'not-an-ip', reason: LIST_REASON },
    { annotation: 'allowlist-source-range', value: '10.0.0.0/33', reason: LIST_REASON },
    { annotation: 'allowlist-source-range', value: '10.0.0.1,x', reason: LIST_REASON },
    {
      annotation: 'allowlist-source-range',
      value: ' , ',
      reason: 'must list at least one IP address or CIDR',
    },
    { annotation: 'whitelist-source-range', value: '10.0.0.0/8;', reason: LIST_REASON },
  ],
);

describe('whitelist-source-range, the old name of allowlist-source-range', () => {
  it('means the same', () => {
    const old = renderWith(prefixed({ 'whitelist-source-range': '10.1.0.0/16,10.0.0.1' }));
    const current = renderWith(prefixed({ 'allowlist-source-range': '10.1.0.0/16,10.0.0.1' }));
    assert.deepEqual(old.location, current.location);
  });

  it('loses to allowlist-source-range when both are set', () => {
    const { result, location } = renderWith(
      prefixed({ 'allowlist-source-range': '10.0.0.0/8', 'whitelist-source-range': '0.0.0.0/0' }),
    );
    assert.ok(location.includes('allow 10.0.0.0/8;'), location.join('\n'));
    assert.ok(!location.includes('allow 0.0.0.0/0;'), location.join('\n'));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]: ignored: allowlist-source-range is also set and takes precedence',
    ]);
  });
});
