import http from 'node:http';

/** GETs a page from NGINX's status socket; undefined unless it answers 200 in time. */
export function fetchStatusPage(
  socketPath: string,
  pagePath: string,
  timeoutMs = 1000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath, path: pagePath, timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Asks the running NGINX, over its status socket, which config checksum its workers serve. */
export async function fetchLiveChecksum(socketPath: string, timeoutMs = 1000): Promise<string | undefined> {
  return (await fetchStatusPage(socketPath, '/gatehouse/checksum', timeoutMs))?.trim();
}
