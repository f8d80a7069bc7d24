import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitFamily } from '../../../src/annotations/rate-limit.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const NUMBER = 'must be a whole number';

familyTable(
  rateLimitFamily,
  [
    {
      annotation: 'limit-rps',
      value: '10',
      has: ['limit_req zone=default_web_rps burst=50 nodelay;'],
      conf: [
        'limit_req_zone $gatehouse_limit_82b3ade9d00c zone=default_web_rps:5m rate=10r/s;',
        'limit_req_status 503;',
      ],
    },
    {
      annotation: 'limit-rpm',
      value: '120',
      with: { 'limit-burst-multiplier': '2' },
      has: ['limit_req zone=default_web_rpm burst=240 nodelay;'],
      conf: ['limit_req_zone $gatehouse_limit_82b3ade9d00c zone=default_web_rpm:5m rate=120r/m;'],
    },
    {
      annotation: 'limit-connections',
      value: '3',
      has: ['limit_conn default_web_conn 3;'],
      conf: [
        'limit_conn_zone $gatehouse_limit_82b3ade9d00c zone=default_web_conn:5m;',
        'limit_conn_status 503;',
      ],
    },
    {
      annotation: 'limit-burst-multiplier',
      value: '1',
      with: { 'limit-rps': '7' },
      has: ['limit_req zone=default_web_rps burst=7 nodelay;'],
    },
    { annotation: 'limit-rate', value: '512', has: ['limit_rate 512k;'] },
    { annotation: 'limit-rate', value: '0', has: [], lacks: ['limit_rate 0k;'] },
    { annotation: 'limit-rate-after', value: '1024', has: ['limit_rate_after 1024k;'] },
    {
      annotation: 'limit-allowlist',
      value: '10.0.0.0/8, 192.168.0.1',
      with: { 'limit-rps': '1' },
      has: ['limit_req zone=default_web_rps burst=5 nodelay;'],
      conf: ['10.0.0.0/8 1;', '192.168.0.1 1;', "1 '';", 'default $binary_remote_addr;'],
    },
    {
      annotation: 'limit-whitelist',
      value: '10.0.0.0/8',
      with: { 'limit-connections': '1' },
      has: ['limit_conn default_web_conn 1;'],
      conf: ['10.0.0.0/8 1;'],
    },
  ],
  [
    { annotation: 'limit-rps', value: '0', reason: 'must be between 1 and 100000' },
    { annotation: 'limit-rps', value: '10r/s', reason: NUMBER },
    { annotation: 'limit-rps', value: '5 nodelay; include /etc/passwd', reason: NUMBER },
    { annotation: 'limit-rpm', value: '-1', reason: NUMBER },
    { annotation: 'limit-connections', value: '1.5', reason: NUMBER },
    { annotation: 'limit-burst-multiplier', value: '0', reason: 'must be between 1 and 1000' },
    { annotation: 'limit-rate', value: '512k', reason: 'must be a whole number of kilobytes' },
    { annotation: 'limit-rate-after', value: '99999999999', reason: 'must be a whole number of kilobytes' },
    {
      annotation: 'limit-allowlist',
      value: '10.0.0.0/8 1; default ""',
      reason: 'must be a comma-separated list of IP addresses or CIDRs',
    },
    { annotation: 'limit-whitelist', value: '', reason: 'must list at least one IP address or CIDR' },
  ],
);

describe('rate-limit zones', () => {
  it('keep their name and key when the limits or the allowlist change, so NGINX keeps its counts', () => {
    const zone = (annotations: Record<string, string>): string =>
      /limit_req_zone (\S+) zone=(\S+):/
        .exec(renderWith(prefixed(annotations)).conf)
        ?.slice(1)
        .join(' ') ?? '';
    const before = zone({ 'limit-rps': '5' });
    assert.equal(before, '$gatehouse_limit_82b3ade9d00c default_web_rps');
    assert.equal(zone({ 'limit-rps': '50', 'limit-allowlist': '10.0.0.0/8' }), before);
  });

  it('print nothing when no limit is set', () => {
    const { conf } = renderWith({});
    assert.doesNotMatch(conf, /limit_/);
  });
});
