import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, ingressClass, serviceWithEndpoints } from '../support/fixtures.ts';
import { messages, outcome, translateObjects } from './harness.ts';
import type { TranslateOptions } from '../../src/translate/translate.ts';

const OURS = 'gatehouse.dev/ingress-controller';
const THEIRS = 'k8s.io/ingress-nginx';

function shop(className: string | null, annotations?: Record<string, string>): KubernetesObject {
  return ingress({
    name: 'shop',
    className,
    ...(annotations ? { annotations } : {}),
    rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'shop', port: 80 }] }],
  });
}

const cases: {
  name: string;
  objects: KubernetesObject[];
  options?: Partial<TranslateOptions>;
  served: boolean;
}[] = [
  {
    name: 'ingressClassName naming our IngressClass',
    objects: [ingressClass('gatehouse', OURS), shop('gatehouse')],
    served: true,
  },
  {
    name: 'ingressClassName naming a differently named IngressClass of our controller',
    objects: [ingressClass('internal', OURS), shop('internal')],
    served: true,
  },
  {
    name: "ingressClassName naming another controller's IngressClass",
    objects: [ingressClass('gatehouse', OURS), ingressClass('nginx', THEIRS), shop('nginx')],
    served: false,
  },
  {
    name: 'ingressClassName naming an IngressClass that does not exist',
    objects: [ingressClass('gatehouse', OURS), shop('missing')],
    served: false,
  },
  {
    name: "ingressClassName naming another controller's class, even with watchIngressWithoutClass",
    objects: [ingressClass('nginx', THEIRS), shop('nginx')],
    options: { watchIngressWithoutClass: true },
    served: false,
  },
  {
    name: 'legacy kubernetes.io/ingress.class annotation with our class name',
    objects: [shop(null, { 'kubernetes.io/ingress.class': 'gatehouse' })],
    served: true,
  },
  {
    name: 'legacy kubernetes.io/ingress.class annotation naming another class',
    objects: [ingressClass('gatehouse', OURS, true), shop(null, { 'kubernetes.io/ingress.class': 'nginx' })],
    served: false,
  },
  {
    name: 'no class while our IngressClass is the cluster default',
    objects: [ingressClass('gatehouse', OURS, true), shop(null)],
    served: true,
  },
  {
    name: 'no class while our IngressClass is not the default',
    objects: [ingressClass('gatehouse', OURS, false), shop(null)],
    served: false,
  },
  {
    name: "no class while another controller's IngressClass is the default",
    objects: [ingressClass('gatehouse', OURS), ingressClass('nginx', THEIRS, true), shop(null)],
    served: false,
  },
  {
    name: 'no class with watchIngressWithoutClass',
    objects: [shop(null)],
    options: { watchIngressWithoutClass: true },
    served: true,
  },
];

describe('translate: which Ingresses are ours', () => {
  for (const c of cases) {
    it(`${c.served ? 'serves' : 'ignores'} an Ingress with ${c.name}`, () => {
      const result = translateObjects(
        [...c.objects, ...serviceWithEndpoints('shop', [{ ip: '10.0.0.1', port: 8080 }])],
        c.options,
      );
      const hosts = result.model.servers.map((s) => s.host);
      if (c.served) {
        assert.equal(outcome(result, 'shop'), 'served');
        assert.deepEqual(hosts, ['shop.example.com']);
      } else {
        // Other controllers' Ingresses are none of our business: no server, no outcome, no diagnostic.
        assert.equal(outcome(result, 'shop'), undefined);
        assert.deepEqual(hosts, []);
        assert.deepEqual(messages(result), []);
      }
    });
  }

  it('lists every Ingress of our class with its outcome, sorted by namespace/name', () => {
    const result = translateObjects([
      ingressClass(),
      ingress({
        name: 'b',
        namespace: 'x',
        rules: [{ host: 'b.example.com', paths: [{ service: 's', port: 80 }] }],
      }),
      ingress({
        name: 'a',
        namespace: 'x',
        rules: [{ host: 'bad host', paths: [{ service: 's', port: 80 }] }],
      }),
      ingress({
        name: 'z',
        namespace: 'a',
        rules: [{ host: 'z.example.com', paths: [{ service: 's', port: 80 }] }],
      }),
      ingress({ name: 'other', className: 'nginx', rules: [] }),
    ]);
    assert.deepEqual(
      result.ingresses.map((i) => `${i.ref.namespace}/${i.ref.name} ${i.outcome}`),
      ['a/z served', 'x/a rejected', 'x/b served'],
    );
  });
});
