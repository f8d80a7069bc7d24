// The leader's reporter hands the EventRecorder the same intents at every status resync until a reconcile
// changes them; the recorder reuses what it made of them then (no aggregation and Event names again). What
// it writes must not change for that: a replica that leads again posts the Events it could not post while it
// followed, an Ingress made again (a new uid) gets Events of its own, and an Event already posted is not
// posted twice.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import type { CoreV1Api, CoreV1Event, V1Ingress } from '@kubernetes/client-node';
import { EventRecorder, eventIntents } from '../../src/status/events.ts';
import type { IngressLookup } from '../../src/status/ingress-status.ts';

/** Stands in for the Events API: remembers what was created; reads find only that. */
function fakeEventsApi(): { api: CoreV1Api; created: CoreV1Event[] } {
  const created: CoreV1Event[] = [];
  const api = {
    readNamespacedEvent: ({ name }: { name: string }) => {
      const found = created.find((e) => e.metadata.name === name);
      return found === undefined
        ? Promise.reject(Object.assign(new Error('not found'), { code: 404 }))
        : Promise.resolve(found);
    },
    createNamespacedEvent: ({ body }: { body: CoreV1Event }) => {
      created.push(body);
      return Promise.resolve(body);
    },
    patchNamespacedEvent: () => Promise.resolve({}),
  } as unknown as CoreV1Api;
  return { api, created };
}

const ingressWithUid = (name: string, uid: string): V1Ingress => ({
  metadata: { name, namespace: 'web', uid, resourceVersion: '1' },
});

/** The cache holding just `ingresses`, as the recorder looks them up. */
const cacheOf =
  (...ingresses: V1Ingress[]): IngressLookup =>
  (namespace, name) =>
    ingresses.find((i) => i.metadata?.namespace === namespace && i.metadata.name === name);

describe('EventRecorder', () => {
  it('posts what the same intents ask for once it may write, and again for an Ingress made anew', async () => {
    const { api, created } = fakeEventsApi();
    let leading = false;
    const recorder = new EventRecorder({
      api,
      logger: winston.createLogger({ silent: true }),
      instance: 'gatehouse-0',
      mayWrite: () => leading,
    });
    const refs = ['shop', 'blog'].map((name) => ({ kind: 'Ingress', namespace: 'web', name }));
    const intents = eventIntents([], refs);
    const ingresses = cacheOf(ingressWithUid('shop', 'u-shop'), ingressWithUid('blog', 'u-blog'));

    recorder.update(intents, ingresses);
    await recorder.idle();
    assert.equal(created.length, 0, 'a follower posts nothing');

    leading = true;
    recorder.update(intents, ingresses);
    await recorder.idle();
    assert.deepEqual(created.map((e) => e.involvedObject.uid).sort(), ['u-blog', 'u-shop']);

    recorder.update(intents, cacheOf(ingressWithUid('shop', 'u-shop'), ingressWithUid('blog', 'u-blog')));
    await recorder.idle();
    assert.equal(created.length, 2, 'an Event that holds is not posted again');

    // blog deleted and made again: a new uid, a new Event (the same intents).
    recorder.update(intents, cacheOf(ingressWithUid('shop', 'u-shop'), ingressWithUid('blog', 'u-blog-2')));
    await recorder.idle();
    assert.deepEqual(created.map((e) => e.involvedObject.uid).sort(), ['u-blog', 'u-blog-2', 'u-shop']);
    assert.deepEqual(recorder.remembered, { events: 2, objects: 2 }, 'nothing kept of the deleted blog');

    // An Ingress the cache did not have yet when the intents came: named once it is there.
    const later = eventIntents([], [...refs, { kind: 'Ingress', namespace: 'web', name: 'docs' }]);
    recorder.update(later, cacheOf(ingressWithUid('shop', 'u-shop'), ingressWithUid('blog', 'u-blog-2')));
    await recorder.idle();
    recorder.update(
      later,
      cacheOf(
        ingressWithUid('shop', 'u-shop'),
        ingressWithUid('blog', 'u-blog-2'),
        ingressWithUid('docs', 'u-docs'),
      ),
    );
    await recorder.idle();
    assert.ok(created.some((e) => e.involvedObject.uid === 'u-docs'));
    await recorder.stop();
  });
});
