// Informers list in pages (src/sources/kube/paged-list.ts): every object of every page arrives once, in
// order, the list keeps what the caller made of it, and it ends with the resourceVersion the watch starts from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { listInPages, type ListPage } from '../../src/sources/kube/paged-list.ts';

/** A fake API server holding `n` objects at resourceVersion 42, paging as a real one does. */
function server(n: number): {
  asked: ListPage[];
  fetch: (p: ListPage) => Promise<KubernetesListObject<KubernetesObject>>;
} {
  const all = Array.from({ length: n }, (_, i) => ({ metadata: { name: `o-${i}` } }));
  const asked: ListPage[] = [];
  return {
    asked,
    fetch: (page) => {
      asked.push(page);
      const from = '_continue' in page ? Number(page._continue) : 0;
      const items = all.slice(from, from + page.limit);
      const more = from + page.limit < n;
      return Promise.resolve({
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: '42', ...(more ? { _continue: String(from + page.limit) } : {}) },
        items,
      });
    },
  };
}

describe('paged informer lists', () => {
  it('asks page after page until the server has no continue token, and hands on every object once', async () => {
    const api = server(7);
    const seen: string[] = [];
    const list = await listInPages(
      api.fetch,
      (o) => {
        seen.push(o.metadata?.name ?? '');
        return { ...o, kind: 'Kept' };
      },
      3,
    );
    assert.deepEqual(api.asked, [{ limit: 3 }, { limit: 3, _continue: '3' }, { limit: 3, _continue: '6' }]);
    const names = Array.from({ length: 7 }, (_, i) => `o-${i}`);
    assert.deepEqual(seen, names);
    assert.deepEqual(
      list.items.map((o) => o.metadata?.name),
      names,
    );
    assert.ok(
      list.items.every((o) => o.kind === 'Kept'),
      'the list keeps what arrived() returned',
    );
    assert.equal(list.metadata?.resourceVersion, '42');
  });

  it('a list that fits one page is one request', async () => {
    const api = server(2);
    const list = await listInPages(api.fetch, (o) => o, 500);
    assert.deepEqual(api.asked, [{ limit: 500 }]);
    assert.equal(list.items.length, 2);
  });

  it('an empty continue token ends the list (what the API server sends on the last page)', async () => {
    const asked: ListPage[] = [];
    const list = await listInPages(
      (page) => {
        asked.push(page);
        return Promise.resolve({ metadata: { resourceVersion: '7', _continue: '' }, items: [{}] });
      },
      (o) => o,
      1,
    );
    assert.equal(asked.length, 1);
    assert.equal(list.metadata?.resourceVersion, '7');
  });

  it('a page that fails fails the list (the informer lists again from the start)', async () => {
    let calls = 0;
    await assert.rejects(
      listInPages(
        (page) => {
          calls += 1;
          if ('_continue' in page) return Promise.reject(new Error('410 Gone: the continue token expired'));
          return Promise.resolve({ metadata: { _continue: 'next' }, items: [{}] });
        },
        (o) => o,
        1,
      ),
      /410 Gone/,
    );
    assert.equal(calls, 2);
  });
});
