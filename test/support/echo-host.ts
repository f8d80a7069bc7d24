// Runs echo backends for the cluster tests inside a network namespace made by netns.ts (a test host of
// our own), since the API server refuses loopback EndpointSlice addresses.
// Usage: node echo-host.ts ADDRESS; then write "start NAME" lines on stdin, read {"name","port"} lines.
import { createInterface } from 'node:readline';
import { startEchoBackend, type EchoBackend } from './echo-backend.ts';

const address = process.argv[2] ?? '';
const backends: EchoBackend[] = [];
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const name = /^start ([a-z0-9-]+)$/.exec(line)?.[1];
  if (name === undefined) return;
  void startEchoBackend(name, { host: address }).then(
    (backend) => {
      backends.push(backend);
      process.stdout.write(`${JSON.stringify({ name, port: backend.port })}\n`);
    },
    (error: unknown) => process.stdout.write(`${JSON.stringify({ name, error: String(error) })}\n`),
  );
});
// stdin closes when the test's process ends or stops us: close everything and go.
lines.on('close', () => {
  void Promise.all(backends.map((b) => b.close())).then(() => process.exit(0));
});
