import net from 'node:net';

/**
 * Whether this host can listen on IPv6. NGINX refuses a whole config with `listen [::]:…` where it cannot,
 * so the CLI asks once at start-up and render emits IPv6 listeners only then.
 */
export function canListenOnIpv6(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: 0, host: '::', ipv6Only: true }, () => server.close(() => resolve(true)));
  });
}
