import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

/** Objects per list request: client-go's pager uses the same. */
export const LIST_PAGE_SIZE = 500;

/** Which page to ask for: at most `limit` items, from where the previous page's `continue` token left off. */
export type ListPage = { readonly limit: number } | { readonly limit: number; readonly _continue: string };

/**
 * Lists in pages (`limit` + `continue`), so that at no time is more than one page of the list held as a
 * response body and its parsed JSON (api-get.ts): unpaged, the first list of 10,000 EndpointSlices is one
 * body of tens of megabytes held twice over, on top of the cache being filled.
 * `arrived` sees each object as its page arrives and returns what the list keeps of it (the informers'
 * trimmed copy). The pages of one list are one consistent snapshot (the API server pins them to the first
 * page's resourceVersion); the list returned carries the last page's metadata, with that resourceVersion for
 * the watch to start from.
 */
export async function listInPages(
  fetchPage: (page: ListPage) => Promise<KubernetesListObject<KubernetesObject>>,
  arrived: (object: KubernetesObject) => KubernetesObject,
  limit = LIST_PAGE_SIZE,
): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(token === undefined ? { limit } : { limit, _continue: token });
    for (const item of page.items) items.push(arrived(item));
    token = page.metadata?._continue;
    if (token === undefined || token === '') return { ...page, items };
  }
}
