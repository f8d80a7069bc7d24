import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import { NameResolver } from '../../src/sources/dns/name-resolver.ts';
import { startDnsServer, type DnsServer } from '../support/dns-server.ts';

const silent = winston.createLogger({ silent: true });

describe('NameResolver: ExternalName targets resolved by the controller, never by NGINX', () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer({
      'api.example.net': { addresses: ['192.0.2.7', '2001:db8::7'], ttl: 60 },
      'v4only.example.net': { addresses: ['192.0.2.8'] },
      'slow.example.net': { addresses: ['192.0.2.9'], delayMs: 5000 },
      'moving.example.net': { addresses: ['192.0.2.10'], ttl: 1 },
    });
  });
  after(() => dns.close());

  const resolver = (onChange = (): void => undefined, extra = {}): NameResolver =>
    new NameResolver({
      servers: [dns.address],
      timeoutMs: 300,
      tries: 1,
      minTtlSeconds: 1,
      logger: silent,
      onChange,
      ...extra,
    });

  it('resolves A and AAAA, sorted, and says why a name does not resolve', async () => {
    const r = resolver();
    r.track(['api.example.net', 'v4only.example.net', 'nowhere.example.net']);
    await r.settled(5000);
    assert.deepEqual(Object.fromEntries(r.results()), {
      'api.example.net': { addresses: ['192.0.2.7', '2001:db8::7'] },
      'nowhere.example.net': { error: 'no such name' },
      'v4only.example.net': { addresses: ['192.0.2.8'] },
    });
    r.stop();
  });

  it('does not let a slow name hold up the others, and gives up on it after its timeout', async () => {
    const r = resolver();
    const started = Date.now();
    r.track(['slow.example.net', 'api.example.net']);
    await r.settled(200);
    assert.deepEqual(r.results().get('api.example.net'), { addresses: ['192.0.2.7', '2001:db8::7'] });
    assert.equal(r.results().has('slow.example.net'), false, 'still being resolved');
    await r.settled(5000);
    assert.deepEqual(r.results().get('slow.example.net'), { error: 'no answer from DNS within 300 ms' });
    // The slow answer comes after 5 s: the timeout (300 ms) gave up long before.
    assert.ok(Date.now() - started < 4500, `took ${Date.now() - started} ms`);
    r.stop();
  });

  it('looks a name up again when its TTL runs out and reports the change', async () => {
    let changes = 0;
    const r = resolver(() => (changes += 1));
    r.track(['moving.example.net']);
    await r.settled(5000);
    assert.deepEqual(r.results().get('moving.example.net'), { addresses: ['192.0.2.10'] });
    dns.set('moving.example.net', { addresses: ['192.0.2.11'], ttl: 1 });
    const deadline = Date.now() + 5000;
    while (
      Date.now() < deadline &&
      (r.results().get('moving.example.net') as { addresses?: string[] }).addresses?.[0] !== '192.0.2.11'
    )
      await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(r.results().get('moving.example.net'), { addresses: ['192.0.2.11'] });
    assert.ok(changes >= 2, `${changes} changes reported`);
    r.stop();
  });

  it('keeps the last good addresses while a name stops resolving, within the stale bound', async () => {
    dns.set('flaky.example.net', { addresses: ['192.0.2.12'], ttl: 1 });
    const r = resolver(undefined, { negativeTtlSeconds: 1 });
    r.track(['flaky.example.net']);
    await r.settled(5000);
    // A first query that timed out (300 ms, on a loaded machine) is asked again after the negative TTL.
    while (!('addresses' in (r.results().get('flaky.example.net') ?? {})))
      await new Promise((res) => setTimeout(res, 50));
    dns.set('flaky.example.net', undefined);
    const before = dns.queries('flaky.example.net');
    while (dns.queries('flaky.example.net') < before + 2) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(r.results().get('flaky.example.net'), { addresses: ['192.0.2.12'] });
    r.stop();
  });

  it('forgets names no longer tracked', async () => {
    const r = resolver();
    r.track(['api.example.net']);
    await r.settled(5000);
    r.track([]);
    assert.equal(r.results().size, 0);
    r.stop();
  });
});
