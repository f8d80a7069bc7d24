import path from 'node:path';
import { fetchBackends } from '../nginx/dynamic-client.ts';

export interface EndpointsFlags {
  confDir?: string;
  output: 'text' | 'json';
}

/**
 * `gatehouse endpoints`: every backend's endpoints as the running NGINX's workers use them, read from its
 * status socket (`GET /gatehouse/backends`). JSON: `{"id": …, "backends": {"<ns>_<svc>_<port>": ["addr:port"]}}`.
 */
export async function endpointsCommand(
  flags: EndpointsFlags & { confDir: string },
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const socket = path.join(path.resolve(flags.confDir), 'run', 'status.sock');
  let live;
  try {
    live = await fetchBackends(socket);
  } catch (error) {
    io.stderr.write(`gatehouse: cannot read the endpoints from ${socket}: ${(error as Error).message}\n`);
    return 1;
  }
  if (flags.output === 'json') {
    io.stdout.write(`${JSON.stringify(live, null, 2)}\n`);
    return 0;
  }
  const names = Object.keys(live.backends).sort();
  const width = Math.max('BACKEND'.length, ...names.map((n) => n.length)) + 2;
  io.stdout.write(`${'BACKEND'.padEnd(width)}ENDPOINTS\n`);
  for (const name of names) {
    const endpoints = live.backends[name] ?? [];
    io.stdout.write(
      `${name.padEnd(width)}${endpoints.length === 0 ? '(none: requests get 503)' : endpoints.join(' ')}\n`,
    );
  }
  return 0;
}
