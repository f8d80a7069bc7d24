import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { serverFor, translateObjects } from './harness.ts';

// Every location names a route: the Ingress path it serves. Metrics label requests with it and `explain`
// reports it, so it must say exactly which rule, Service and host a location came from.
describe('routes', () => {
  const objects = [
    ingressClass(),
    ingress({
      name: 'shop',
      namespace: 'web',
      defaultBackend: { service: 'front', port: 80 },
      rules: [
        {
          host: 'shop.example.com',
          paths: [
            { path: '/cart/', pathType: 'Prefix', service: 'cart', port: 'http' },
            { path: '/health', pathType: 'Exact', service: 'front', port: 80 },
          ],
        },
      ],
    }),
    ...serviceWithEndpoints('front', [{ ip: '10.0.0.1', port: 8080 }], { namespace: 'web' }),
    ...serviceWithEndpoints('cart', [{ ip: '10.0.0.2', port: 8080 }], { namespace: 'web', portName: 'http' }),
  ];

  const result = translateObjects(objects);
  function routeIndex(host: string, modifier: string, path: string): number {
    const loc = serverFor(result.model, host).locations.find(
      (l) => l.modifier === modifier && l.path === path,
    );
    assert.ok(loc, `no location ${modifier} ${path}`);
    return loc.route;
  }
  const routeOf = (host: string, modifier: string, path: string) =>
    result.routes[routeIndex(host, modifier, path)];

  it('names the Ingress, the path as written, its type, field and Service', () => {
    assert.deepEqual(routeOf('shop.example.com', '', '/cart/'), {
      host: 'shop.example.com',
      namespace: 'web',
      ingress: 'shop',
      path: '/cart/',
      pathType: 'Prefix',
      field: 'spec.rules[0].http.paths[0]',
      service: 'cart',
      servicePort: 'http',
    });
  });

  it('gives the two locations of a Prefix path one route', () => {
    assert.equal(routeIndex('shop.example.com', '=', '/cart'), routeIndex('shop.example.com', '', '/cart/'));
    assert.notEqual(
      routeIndex('shop.example.com', '=', '/health'),
      routeIndex('shop.example.com', '', '/cart/'),
    );
  });

  it('names the defaultBackend for paths no rule matches', () => {
    assert.deepEqual(routeOf('shop.example.com', '', '/'), {
      host: 'shop.example.com',
      namespace: 'web',
      ingress: 'shop',
      path: '',
      pathType: '',
      field: 'spec.defaultBackend',
      service: 'front',
      servicePort: '80',
    });
  });

  it('has a route without an Ingress for the default server', () => {
    const empty = translateObjects([ingressClass()]);
    const [catchAll] = empty.model.defaultServer.locations;
    assert.ok(catchAll);
    assert.deepEqual(empty.routes[catchAll.route], {
      host: '',
      namespace: '',
      ingress: '',
      path: '',
      pathType: '',
      field: '',
      service: '',
      servicePort: '',
    });
  });

  it('numbers routes the same way whatever the order of the objects', () => {
    const forward = translateObjects(objects);
    const backward = translateObjects([...objects].reverse());
    assert.deepEqual(forward.routes, backward.routes);
    assert.deepEqual(forward.model, backward.model);
  });
});
