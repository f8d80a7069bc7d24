import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { messages, outcome, routes, translateObjects } from './harness.ts';

const REASON = 'NGINX rejected the configuration made from this object: host not found in upstream';

const objects = [
  ingressClass(),
  ingress({ name: 'web', rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }] }),
  ingress({ name: 'api', rules: [{ host: 'api.example.com', paths: [{ service: 'api', port: 80 }] }] }),
  ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
  ...serviceWithEndpoints('api', [{ ip: '10.0.0.2', port: 8080 }]),
];

describe('translate: objects excluded after NGINX rejected them', () => {
  it('drops an excluded Ingress and reports why', () => {
    const result = translateObjects(objects, { excluded: new Map([['Ingress default/web', REASON]]) });
    assert.equal(outcome(result, 'web'), 'rejected');
    assert.equal(outcome(result, 'api'), 'served');
    assert.deepEqual(
      result.model.servers.map((s) => s.host),
      ['api.example.com'],
    );
    assert.deepEqual(messages(result), [`error: Ingress default/web: ${REASON}`]);
  });

  it('drops an excluded Service, reports why, and its users get 503', () => {
    const result = translateObjects(objects, { excluded: new Map([['Service default/api', REASON]]) });
    assert.equal(outcome(result, 'api'), 'served');
    assert.deepEqual(routes(result.model, 'api.example.com'), ['/ -> 503']);
    assert.deepEqual(routes(result.model, 'web.example.com'), ['/ -> http://default_web_80']);
    assert.deepEqual(
      result.model.upstreams.map((u) => u.name),
      ['default_web_80'],
    );
    assert.ok(
      messages(result).includes(`error: Service default/api: ${REASON}`),
      messages(result).join('\n'),
    );
  });

  it('changes nothing for keys that name no object', () => {
    const plain = translateObjects(objects);
    const result = translateObjects(objects, { excluded: new Map([['Ingress default/gone', REASON]]) });
    assert.deepEqual(result, plain);
  });
});
