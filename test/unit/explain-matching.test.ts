import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseHost, safeNormaliseUri, selectLocation } from '../../src/explain/nginx-matching.ts';
import type { Location, Server } from '../../src/model/nginx.ts';

// NGINX's rules as explain models them; test/integration/explain.test.ts holds them against real NGINX.
describe('NGINX request normalisation', () => {
  it('normalises the URI as NGINX does before matching', () => {
    const cases: [string, string | undefined][] = [
      ['/a//b', '/a/b'],
      ['/a/./b/', '/a/b/'],
      ['/a/b/..', '/a/'],
      ['/a/%2e%2e/c', '/c'],
      ['/%61?x=/..', '/a'],
      ['/a%2Fb', '/a/b'],
      ['/..', undefined],
      ['/a/%zz', undefined],
      ['/a%00', undefined],
      ['/', '/'],
    ];
    for (const [raw, want] of cases) assert.equal(safeNormaliseUri(raw), want, raw);
  });

  it('normalises the Host header as NGINX does', () => {
    assert.equal(normaliseHost('Shop.Example.COM:8080'), 'shop.example.com');
    assert.equal(normaliseHost('shop.example.com.'), 'shop.example.com');
    assert.equal(normaliseHost('[::1]:80'), '[::1]');
    assert.equal(normaliseHost('a..b'), undefined);
    assert.equal(normaliseHost('a/b'), undefined);
    assert.equal(normaliseHost(':80'), undefined);
  });
});

describe('NGINX location selection', () => {
  const loc = (modifier: Location['modifier'], path: string, proxy = true): Location => ({
    modifier,
    path,
    source: `${modifier} ${path}`,
    action: proxy ? { kind: 'proxy', upstream: 'u', protocol: 'HTTP' } : { kind: 'status', code: 404 },
    settings: { sslRedirect: false, proxy: {}, refuseClients: [] },
    route: 0,
  });
  const server = (...locations: Location[]): Server => ({
    host: 'h',
    serverName: 'h',
    sources: [],
    certificate: 'default.pem',
    hasTls: false,
    locations,
  });
  const pick = (s: Server, uri: string) => {
    const found = selectLocation(s, uri);
    return found === undefined ? 'none' : `${found.matchedBy}: ${found.location.source}`;
  };

  it('prefers an exact match, then a regex over a prefix, then the longest prefix', () => {
    const s = server(loc('', '/'), loc('', '/a/'), loc('=', '/a'), loc('~', '/a/b/'));
    assert.equal(pick(s, '/a'), 'exact: = /a');
    assert.equal(pick(s, '/a/b/'), 'regex: ~ /a/b/');
    assert.equal(pick(s, '/a/b/c'), 'longest prefix:  /a/');
    assert.equal(pick(s, '/b'), 'longest prefix:  /');
  });

  it('answers a path one slash short of a proxying location with the slash redirect', () => {
    assert.equal(pick(server(loc('', '/'), loc('', '/a/')), '/a'), 'slash redirect:  /a/');
    assert.equal(pick(server(loc('', '/'), loc('=', '/a/')), '/a'), 'slash redirect: = /a/');
    assert.equal(pick(server(loc('', '/'), loc('', '/a/', false)), '/a'), 'longest prefix:  /');
  });
});
