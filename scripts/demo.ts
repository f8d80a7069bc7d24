// The local demo: the cafe example from examples/cafe served through real NGINX by `gatehouse serve`,
// with two local backend processes standing in for the coffee and tea pods.
// Usage: npm run demo [-- --check]   (--check: verify traffic flows, then exit; used by the test suite)
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoBackend } from '../test/support/echo-backend.ts';
import { request } from '../test/support/http-client.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const httpPort = Number(process.env['DEMO_HTTP_PORT'] ?? 8080);
const httpsPort = Number(process.env['DEMO_HTTPS_PORT'] ?? 8443);
const healthzPort = Number(process.env['DEMO_HEALTHZ_PORT'] ?? 10254);
const confDir = path.join(root, '.cache', 'demo');

// The EndpointSlices in examples/cafe point at these two addresses.
const coffee = await startEchoBackend('coffee', { port: 9101 });
const tea = await startEchoBackend('tea', { port: 9102 });
await mkdir(confDir, { recursive: true });

const gatehouse = spawn(
  process.execPath,
  [
    path.join(root, 'src/cli/entry.ts'),
    'serve',
    '--manifests',
    path.join(root, 'examples/cafe'),
    '--http-port',
    String(httpPort),
    '--https-port',
    String(httpsPort),
    '--healthz-port',
    String(healthzPort),
    '--conf-dir',
    confDir,
  ],
  { stdio: ['ignore', check ? 'ignore' : 'inherit', 'inherit'] },
);

async function healthy(): Promise<boolean> {
  return fetch(`http://127.0.0.1:${healthzPort}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
}
const deadline = Date.now() + 30_000;
while (!(await healthy())) {
  if (gatehouse.exitCode !== null || Date.now() > deadline) {
    console.error('demo: gatehouse did not come up; see the log above');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}

const tryTea = await request('http', httpPort, 'cafe.example.com', '/tea');
const tryCoffee = await request('https', httpsPort, 'cafe.example.com', '/coffee');
const ok =
  tryTea.status === 200 &&
  tryTea.body.includes('"backend":"tea"') &&
  tryCoffee.status === 200 &&
  tryCoffee.body.includes('"backend":"coffee"');

console.log(`
Gatehouse is serving the cafe example (examples/cafe) through NGINX:
  curl --resolve cafe.example.com:${httpPort}:127.0.0.1 http://cafe.example.com:${httpPort}/tea
  curl --resolve cafe.example.com:${httpPort}:127.0.0.1 http://cafe.example.com:${httpPort}/coffee
  curl -k --resolve cafe.example.com:${httpsPort}:127.0.0.1 https://cafe.example.com:${httpsPort}/coffee
Health: curl http://127.0.0.1:${healthzPort}/healthz
Live config: ${path.join(confDir, 'nginx.conf')}
Edit, add or delete files in examples/cafe and traffic follows. Ctrl-C stops everything.
self-check: /tea -> ${tryTea.status} (${ok ? 'tea backend' : 'unexpected'}), https /coffee -> ${tryCoffee.status}`);

const shutdown = async (code: number): Promise<void> => {
  gatehouse.kill('SIGTERM');
  await new Promise((r) => gatehouse.once('exit', r));
  await coffee.close();
  await tea.close();
  process.exit(code);
};
if (check) await shutdown(ok ? 0 : 1);
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
