import http from 'node:http';

/** Asks the running NGINX, over its status socket, which config checksum its workers serve. */
export function fetchLiveChecksum(socketPath: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath, path: '/gatehouse/checksum', timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
