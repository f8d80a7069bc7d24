import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { messages, outcome, renderObjects } from './harness.ts';

/** Hostile strings are rejected with a diagnostic that names the field, and never reach the config. */
function check(objects: KubernetesObject[], field: string, value: string): void {
  const { result, conf } = renderObjects([
    ingressClass(),
    ...objects,
    ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
  ]);
  assert.equal(outcome(result, 'web'), 'rejected');
  const text = messages(result);
  assert.ok(text.length > 0);
  assert.ok(
    result.diagnostics.some((d) => d.severity === 'error' && d.field === field),
    `no error on ${field}: ${text.join('\n')}`,
  );
  for (const line of text) assert.ok(!line.includes(value), `diagnostic echoes the value: ${line}`);
  assert.ok(!conf.includes(value), 'the value reached the config');
}

const web = (spec: Partial<Parameters<typeof ingress>[0]>): ReturnType<typeof ingress> =>
  ingress({
    name: 'web',
    rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
    ...spec,
  });

const hosts = [
  'evil host.example.com',
  'evil"host.example.com',
  "evil'host.example.com",
  'evil;host.example.com',
  'evil{host}.example.com',
  'evil.example.com;\ninclude /etc/passwd',
  'evil\nhost.example.com',
  'evil$host.example.com',
  'evil#host.example.com',
  'evil\\host.example.com',
  'evil\0host.example.com',
  'EVIL.example.com',
  'évil.example.com',
  '*.*.evil.example.com',
  'evil.*.example.com',
  '*evil.example.com',
  '*.com',
  '10.20.30.40',
  'evil..example.com',
  '.evil.example.com',
  'evil.example.com.',
  '-evil.example.com',
  `${'e'.repeat(64)}.example.com`,
  `${'evil.'.repeat(51)}com`,
];

const paths = [
  '/evil;path',
  '/evil{path',
  '/evil}path',
  '/evil$host',
  '/evil"path',
  "/evil'path",
  '/evil%2e%2epath',
  '/evil/../path',
  '/evil/./path',
  '/..',
  '/evil//path',
  '/evil\npath',
  '/evil path',
  '/evil#path',
  '/evil\\path',
  '/evil\0path',
  '/évil',
  'evil/relative',
  '',
  `/${'e'.repeat(1024)}`,
];

describe('translate: hostile values are rejected without being echoed', () => {
  for (const host of hosts) {
    it(`host ${JSON.stringify(host.slice(0, 40))}`, () => {
      check([web({ rules: [{ host, paths: [{ service: 'web', port: 80 }] }] })], 'spec.rules[0].host', host);
    });
  }

  for (const path of paths) {
    it(`path ${JSON.stringify(path.slice(0, 40))}`, () => {
      check(
        [web({ rules: [{ host: 'web.example.com', paths: [{ path, service: 'web', port: 80 }] }] })],
        'spec.rules[0].http.paths[0].path',
        path === '' ? '\0never' : path,
      );
    });
  }

  for (const name of ['evil;svc', 'evil svc', 'Evil', 'evil.svc', 'evil_svc', '-evil', 'e'.repeat(64)]) {
    it(`service name ${JSON.stringify(name.slice(0, 40))}`, () => {
      check(
        [web({ rules: [{ host: 'web.example.com', paths: [{ service: name, port: 80 }] }] })],
        'spec.rules[0].http.paths[0].backend.service.name',
        name,
      );
    });
  }

  for (const port of ['evil;port', 'EVIL', 'evilportname-too-long', '8080']) {
    it(`service port name ${JSON.stringify(port)}`, () => {
      check(
        [web({ rules: [{ host: 'web.example.com', paths: [{ service: 'web', port }] }] })],
        'spec.rules[0].http.paths[0].backend.service.port.name',
        port,
      );
    });
  }

  for (const port of [0, 65536, 1.5, -80]) {
    it(`service port number ${port}`, () => {
      check(
        [web({ rules: [{ host: 'web.example.com', paths: [{ service: 'web', port }] }] })],
        'spec.rules[0].http.paths[0].backend.service.port.number',
        `\0${port}`,
      );
    });
  }

  for (const secretName of ['evil;secret', 'evil secret', 'evil/secret', 'Evil', `evil.${'e'.repeat(250)}`]) {
    it(`TLS secret name ${JSON.stringify(secretName.slice(0, 40))}`, () => {
      check([web({ tls: [{ secretName }] })], 'spec.tls[0].secretName', secretName);
    });
  }

  it('TLS host', () => {
    const host = 'evil.example.com; ssl_certificate /etc/shadow';
    check([web({ tls: [{ hosts: [host], secretName: 'tls' }] })], 'spec.tls[0].hosts[0]', host);
  });

  for (const value of ['30; include /etc/passwd', '30\nproxy_pass http://evil;', '"30"', '${30}']) {
    it(`annotation value ${JSON.stringify(value)}`, () => {
      const key = 'nginx.ingress.kubernetes.io/proxy-read-timeout';
      check([web({ annotations: { [key]: value } })], `metadata.annotations[${key}]`, value);
    });
  }

  it('a resource backend', () => {
    const ing = web({});
    const spec = ing.spec as { rules: { http: { paths: { backend: object }[] } }[] };
    const first = spec.rules[0]?.http.paths[0];
    if (first) first.backend = { resource: { apiGroup: 'evil', kind: 'Evil', name: 'evil;thing' } };
    check([ing], 'spec.rules[0].http.paths[0].backend', 'evil;thing');
  });

  it('keeps serving the other Ingresses when one is rejected', () => {
    const { result, conf } = renderObjects([
      ingressClass(),
      web({ rules: [{ host: 'evil.example.com;', paths: [{ service: 'web', port: 80 }] }] }),
      ingress({ name: 'good', rules: [{ host: 'good.example.com', paths: [{ service: 'web', port: 80 }] }] }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ]);
    assert.equal(outcome(result, 'web'), 'rejected');
    assert.equal(outcome(result, 'good'), 'served');
    assert.ok(conf.includes('server_name good.example.com;'));
  });
});
