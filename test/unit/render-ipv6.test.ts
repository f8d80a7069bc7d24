import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { render } from '../../src/render/render.ts';
import { ingress, ingressClass } from '../support/fixtures.ts';
import { PATHS, translateObjects } from './harness.ts';

describe('render: IPv6 listeners', () => {
  const objects = [
    ingressClass(),
    ingress({
      name: 'web',
      rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
    }),
  ];
  const configMap = (data: Record<string, string>): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'gatehouse', namespace: 'ops' },
    data,
  });

  it('listens on [::] beside every IPv4 listener when the host has IPv6', () => {
    const conf = render(translateObjects(objects).model, { ...PATHS, ipv6Available: true }).nginxConf;
    assert.equal(conf.match(/listen \[::\]:80 default_server;/g)?.length, 1);
    assert.equal(conf.match(/listen \[::\]:443 ssl http2 default_server;/g)?.length, 1);
    assert.equal(conf.match(/listen \[::\]:80;/g)?.length, 1, 'web.example.com');
    assert.equal(conf.match(/listen \[::\]:443 ssl http2;/g)?.length, 1, 'web.example.com');
  });

  it('does not where the host has no IPv6 (NGINX would refuse the whole config)', () => {
    const conf = render(translateObjects(objects).model, { ...PATHS, ipv6Available: false }).nginxConf;
    assert.doesNotMatch(conf, /\[::\]/);
  });

  it('does not when the ConfigMap says disable-ipv6: "true"', () => {
    const result = translateObjects([...objects, configMap({ 'disable-ipv6': 'true' })], {
      configMap: { namespace: 'ops', name: 'gatehouse' },
    });
    const conf = render(result.model, { ...PATHS, ipv6Available: true }).nginxConf;
    assert.doesNotMatch(conf, /\[::\]/);
  });
});
