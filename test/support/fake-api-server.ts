// A loopback HTTPS server standing in for the Kubernetes API server in unit tests, and a kubeconfig that
// points at it with a token and its CA: for code that talks to the API over client-node's credentials.
import { once } from 'node:events';
import https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { certificateFor } from './fixtures.ts';

/** The token `kubeConfigFor` sends. */
export const FAKE_API_TOKEN = 'secret-token';

export interface FakeApiServer {
  readonly url: string;
  /** The server certificate's PEM: the CA a kubeconfig must trust. */
  readonly ca: string;
  /** Every request's URL and Authorization header, in order. */
  readonly requests: readonly { readonly url: URL; readonly authorization: string }[];
  /** TLS connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts the server; `answer` writes each response (content-type is set to JSON beforehand). */
export async function fakeApiServer(answer: (url: URL, res: ServerResponse) => void): Promise<FakeApiServer> {
  const certificate = await certificateFor('localhost');
  const requests: { url: URL; authorization: string }[] = [];
  let connections = 0;
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    requests.push({ url, authorization: req.headers.authorization ?? '' });
    res.setHeader('content-type', 'application/json');
    answer(url, res);
  });
  server.on('secureConnection', () => (connections += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    ca: certificate.cert,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** `config` (a new KubeConfig by default) loaded to reach `server` with FAKE_API_TOKEN, trusting `server.ca`. */
export function kubeConfigFor(
  server: { readonly url: string; readonly ca: string },
  config: KubeConfig = new KubeConfig(),
): KubeConfig {
  config.loadFromOptions({
    clusters: [{ name: 'c', server: server.url, caData: Buffer.from(server.ca).toString('base64') }],
    users: [{ name: 'u', token: FAKE_API_TOKEN }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}
