import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_EXTERNAL_NAME_POLICY,
  refusedAddress,
  refusedName,
  type ExternalNamePolicy,
} from '../../src/translate/address-policy.ts';

const policy: ExternalNamePolicy = {
  ...DEFAULT_EXTERNAL_NAME_POLICY,
  localAddresses: ['10.1.2.3', 'fd00::5'],
};

describe('ExternalName policy: where NGINX may be sent', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['::1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['169.254.169.254', /link-local/],
    ['fe80::1', /link-local/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:7f00:1', /loopback/],
    ['::127.0.0.1', /loopback/],
    ['64:ff9b::a9fe:a9fe', /link-local/],
    ['2002:7f00:1::', /loopback/],
    ['100.100.100.200', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['10.1.2.3', /own host/],
    ['::ffff:10.1.2.3', /own host/],
    ['fd00::5', /own host/],
  ];
  for (const [address, why] of refused) {
    it(`refuses ${address}`, () => assert.match(refusedAddress(address, policy) ?? 'allowed', why));
  }

  for (const address of ['10.0.0.7', '192.168.1.1', '198.18.3.2', '8.8.8.8', '2001:db8::7', '172.16.0.1']) {
    it(`allows ${address}`, () => assert.equal(refusedAddress(address, policy), undefined));
  }

  it('allows a refused range an admin listed, and only that range', () => {
    const lab = { ...policy, allowedCidrs: ['127.0.0.0/8'] };
    assert.equal(refusedAddress('127.0.0.1', lab), undefined);
    assert.equal(refusedAddress('::ffff:127.0.0.1', lab), undefined);
    assert.match(refusedAddress('169.254.169.254', lab) ?? '', /link-local/);
    assert.equal(refusedAddress('10.1.2.3', { ...policy, allowedCidrs: ['10.1.2.3'] }), undefined);
  });

  it('refuses what is not an address at all', () => {
    assert.match(refusedAddress('localhost', policy) ?? '', /not an IP address/);
  });

  for (const name of [
    'localhost',
    'LOCALHOST.',
    'app.localhost',
    'metadata.google.internal',
    'instance-data',
  ]) {
    it(`refuses the name ${name}`, () =>
      assert.match(refusedName(name) ?? 'allowed', /this machine or a cloud metadata/));
  }
  for (const name of ['api.example.net', 'localhost.example.com', 'metadata-service.example.com']) {
    it(`allows the name ${name}`, () => assert.equal(refusedName(name), undefined));
  }
});
