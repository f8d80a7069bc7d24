// Runs echo backends for the cluster tests inside a network namespace made by netns.ts (a test host of
// our own), since the API server refuses loopback EndpointSlice addresses.
// Usage: node echo-host.ts ADDRESS; then write "start NAME" lines on stdin, read {"name","port"} lines.
// "dns NAME RECORDS-JSON" starts a DNS server (test/support/dns-server.ts) on the host instead.
import { createInterface } from 'node:readline';
import { startDnsServer, type DnsRecord, type DnsServer } from './dns-server.ts';
import { startEchoBackend, type EchoBackend } from './echo-backend.ts';

const address = process.argv[2] ?? '';
const backends: (EchoBackend | DnsServer)[] = [];
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const dns = /^dns ([a-z0-9-]+) (.*)$/.exec(line);
  if (dns?.[1] !== undefined && dns[2] !== undefined) {
    const name = dns[1];
    void startDnsServer(JSON.parse(dns[2]) as Record<string, DnsRecord>, address).then(
      (server) => {
        backends.push(server);
        process.stdout.write(`${JSON.stringify({ name, port: server.port })}\n`);
      },
      (error: unknown) => process.stdout.write(`${JSON.stringify({ name, error: String(error) })}\n`),
    );
    return;
  }
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
