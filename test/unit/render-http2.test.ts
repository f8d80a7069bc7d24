import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http2Syntax, render } from '../../src/render/render.ts';
import { ingress, ingressClass } from '../support/fixtures.ts';
import { translateObjects } from './harness.ts';

describe('render: HTTP/2 follows the NGINX version', () => {
  for (const [version, expected] of [
    ['1.22.1', 'listen'],
    ['1.25.0', 'listen'],
    ['1.25.1', 'directive'],
    ['1.29.3', 'directive'],
    ['2.0.0', 'directive'],
  ] as const) {
    it(`NGINX ${version} takes the ${expected} form`, () => {
      assert.equal(http2Syntax(version), expected);
    });
  }

  const objects = [
    ingressClass(),
    ingress({
      name: 'web',
      rules: [{ host: 'web.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
    }),
  ];
  const paths = { confDir: '/etc/gatehouse', runDir: '/etc/gatehouse/run' };

  it('1.22 gets `listen … ssl http2` and no http2 directive', () => {
    const conf = render(translateObjects(objects).model, { ...paths, nginxVersion: '1.22.1' }).nginxConf;
    assert.match(conf, /listen 443 ssl http2;/);
    assert.doesNotMatch(conf, /http2 on;/);
  });

  it('mainline gets `http2 on;` in every server and a plain `listen … ssl`', () => {
    const conf = render(translateObjects(objects).model, { ...paths, nginxVersion: '1.29.3' }).nginxConf;
    assert.match(conf, /listen 443 ssl;/);
    // the default server, web.example.com and the local 503 listener for gRPC backends
    assert.equal(conf.match(/http2 on;/g)?.length, 3);
  });

  it('use-http2: "false" in the ConfigMap turns it off in both forms', () => {
    const model = translateObjects(objects).model;
    const off = { ...model, global: { ...model.global, http2: false } };
    for (const nginxVersion of ['1.22.1', '1.29.3']) {
      const conf = render(off, { ...paths, nginxVersion }).nginxConf;
      // Only the local 503 listener for gRPC backends speaks HTTP/2 (to NGINX itself, not to clients).
      const grpcListener = /\n {4}server \{\n {8}listen unix:\S+unavailable-grpc\.sock[^}]*\}/;
      assert.match(conf, grpcListener);
      assert.doesNotMatch(conf.replace(grpcListener, ''), /http2/);
    }
  });
});
