import http from 'node:http';

/**
 * The dynamic-state API NGINX serves on its private status socket (lua/gatehouse/state.lua):
 * `GET /gatehouse/state` → `{"id": …}`, `POST /gatehouse/state` (a change) → `{"id": …}` or an error with
 * 400 (malformed), 409 (made against another state) or 507 (does not fit), and `GET /gatehouse/backends`
 * → `{"id": …, "backends": {"<namespace>_<service>_<port>": ["addr:port", …]}}`.
 */

export interface SocketReply {
  readonly status: number;
  readonly body: string;
}

/**
 * One request over a unix socket; rejects on connection errors and after `timeoutMs`. With a keep-alive
 * `agent`, a connection left open by the request before carries it: its bytes are written at once, before
 * the event loop runs anything else, where a new connection waits for the loop to see it connected. A
 * request on such a connection that NGINX closed meanwhile (a reload closes idle ones) is sent again once,
 * on a new one.
 */
export function socketRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: string,
  timeoutMs = 10_000,
  agent?: http.Agent,
): Promise<SocketReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path: urlPath,
        timeout: timeoutMs,
        ...(agent === undefined ? {} : { agent }),
        headers: {
          ...(agent === undefined ? { connection: 'close' } : {}),
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      if (req.reusedSocket && agent !== undefined)
        socketRequest(socketPath, method, urlPath, body, timeoutMs).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

/** The id of the dynamic state NGINX holds (null before the first push), or undefined if it cannot say. */
export async function fetchStateId(
  socketPath: string,
  timeoutMs = 10_000,
): Promise<string | null | undefined> {
  try {
    const reply = await socketRequest(socketPath, 'GET', '/gatehouse/state', undefined, timeoutMs);
    if (reply.status !== 200) return undefined;
    const id = (JSON.parse(reply.body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  } catch {
    return undefined;
  }
}

export interface LiveBackends {
  readonly id: string | null;
  readonly backends: Readonly<Record<string, readonly string[]>>;
}

/** Every backend's endpoints as NGINX's workers use them (only backend `name`'s, if given). */
export async function fetchBackends(socketPath: string, name?: string): Promise<LiveBackends> {
  const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
  const reply = await socketRequest(socketPath, 'GET', `/gatehouse/backends${query}`);
  if (reply.status !== 200) throw new Error(`${socketPath} answered ${reply.status}: ${reply.body.trim()}`);
  return JSON.parse(reply.body) as LiveBackends;
}
