import http from 'node:http';
import https from 'node:https';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { ListPage } from './paged-list.ts';

// What the informers read from the API server, as plain JSON: one list page, one object. client-node's typed
// API turns every answer into its model classes (ObjectSerializer: a walk of every field against its type
// table, Dates for timestamps) and gives every array of them, however short, room for 17 elements: the
// informer caches kept those arrays, a third of an EndpointSlice's heap. JSON.parse makes arrays of their
// length, plain objects and timestamps as the RFC 3339 strings a watch event carries anyway.

/** Longest wait for one answer before the request is given up (the informer then restarts). */
const ANSWER_TIMEOUT_MS = 60_000;

/** An API answer other than 2xx. `code` is its HTTP status, as on client-node's ApiException. */
export class KubeApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(`HTTP ${code}: ${message}`);
    this.code = code;
  }
}

/** GET of `path` from the kubeconfig's current cluster (its credentials and connections), parsed. */
export async function getJson(
  kubeConfig: KubeConfig,
  path: string,
  query: Readonly<Record<string, string | number | undefined>> = {},
): Promise<unknown> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig names no current cluster');
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(key, String(value));
  const init = await kubeConfig.applyToFetchOptions({});
  // node-fetch's Headers (the credentials' Authorization, if any), as node:https takes them.
  const headers: Record<string, string> = {};
  new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, key) => {
    headers[key] = value;
  });
  const secure = url.protocol === 'https:';
  const text = await new Promise<string>((resolve, reject) => {
    const request = (secure ? https : http).request(
      url,
      {
        method: 'GET',
        headers: { ...headers, accept: 'application/json' },
        ...(init.agent instanceof http.Agent ? { agent: init.agent } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const code = response.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve(body);
          else reject(new KubeApiError(code, statusMessage(body) ?? response.statusMessage ?? 'no message'));
        });
      },
    );
    request.setTimeout(ANSWER_TIMEOUT_MS, () =>
      request.destroy(
        new Error(`no answer from the API server in ${ANSWER_TIMEOUT_MS / 1000} s: GET ${path}`),
      ),
    );
    request.on('error', reject);
    request.end();
  });
  return JSON.parse(text);
}

/** One page of the list at `path` (paged-list.ts), its items as plain JSON. */
export async function listPage(
  kubeConfig: KubeConfig,
  path: string,
  page: ListPage,
  fieldSelector?: string,
): Promise<KubernetesListObject<KubernetesObject>> {
  const list = (await getJson(kubeConfig, path, {
    limit: page.limit,
    continue: '_continue' in page ? page._continue : undefined,
    fieldSelector,
  })) as { metadata?: { resourceVersion?: string; continue?: string }; items?: KubernetesObject[] | null };
  const { resourceVersion, continue: token } = list.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'List',
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      ...(token === undefined || token === '' ? {} : { _continue: token }),
    },
    items: list.items ?? [],
  };
}

/** The `message` of an API server's Status answer, if the body is one. */
function statusMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
