import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrafficLine, TRAFFIC_LOG_FIELDS } from '../../src/observability/traffic-log.ts';

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { metricsLine } from '../support/metrics-line.ts';

const message = metricsLine;

describe('metrics log lines', () => {
  it('reads a request: config, route, method, status class, times and sizes', () => {
    const line = parseTrafficLine(message({}));
    assert.deepEqual(line, {
      config: 'abc',
      route: 3,
      method: 'GET',
      status: '2xx',
      requestSeconds: 0.01,
      requestBytes: 80,
      responseBytes: 300,
      upstream: [{ status: 200, connectSeconds: 0.001, headerSeconds: 0.009, responseSeconds: 0.009 }],
      httpVersion: 'HTTP/1.1',
      tlsVersion: '',
      tlsResumed: false,
      newConnection: true,
      canary: '',
    });
  });

  it('reads the canary backend a request went to, and nothing of another shape', () => {
    assert.equal(parseTrafficLine(message({ cn: 'default_preview_80' }))?.canary, 'default_preview_80');
    assert.equal(parseTrafficLine(message({ cn: 'a"b' }))?.canary, '');
  });

  it('leaves out the try the 503 listener answered for a backend without a ready endpoint', () => {
    const listener = { us: '503', uc: '0.000', uh: '0.000', ur: '0.000', s: '503' };
    assert.equal(parseTrafficLine(message(listener))?.upstream.length, 1);
    assert.deepEqual(parseTrafficLine(message({ ...listener, ne: '1' }))?.upstream, []);
    const retried = { us: '502, 503', uc: '-, 0.000', uh: '-, 0.000', ur: '0.000, 0.000', s: '503', ne: '1' };
    assert.deepEqual(parseTrafficLine(message(retried))?.upstream, [
      { status: 502, connectSeconds: NaN, headerSeconds: NaN, responseSeconds: 0 },
    ]);
  });

  it('reads one upstream try per pod, and "-" as a step that did not happen', () => {
    const line = parseTrafficLine(
      message({ us: '502, 200', uc: '-, 0.002', uh: '-, 0.004', ur: '0.000, 0.004', s: '200' }),
    );
    assert.deepEqual(line?.upstream, [
      { status: 502, connectSeconds: NaN, headerSeconds: NaN, responseSeconds: 0 },
      { status: 200, connectSeconds: 0.002, headerSeconds: 0.004, responseSeconds: 0.004 },
    ]);
    assert.deepEqual(parseTrafficLine(message({ us: '-', uc: '-', uh: '-', ur: '-' }))?.upstream, []);
  });

  it('keeps label values in small fixed sets whatever the client sends', () => {
    const odd = parseTrafficLine(message({ m: 'PROPFIND', p: 'HTTP/9.9', t: 'TLSv9' }));
    assert.ok(odd);
    assert.equal(odd.method, 'OTHER');
    assert.equal(odd.httpVersion, 'OTHER');
    assert.equal(odd.tlsVersion, 'OTHER');
    assert.equal(parseTrafficLine(message({ s: '499' }))?.status, '4xx');
    assert.equal(parseTrafficLine(message({ s: '999' }))?.status, '');
  });

  it('reads what NGINX escaped as an unknown value, and "-" as empty', () => {
    const line = parseTrafficLine(message({ m: 'G\\x22E\\x5CT', t: 'TLSv1.3', cn: '-', r: '-' }));
    assert.ok(line);
    assert.equal(line.method, 'OTHER');
    assert.equal(line.tlsVersion, 'TLSv1.3');
    assert.equal(line.canary, '');
    assert.equal(line.route, -1);
    assert.equal(parseTrafficLine(message({ t: '-' }))?.tlsVersion, '');
  });

  it('reads a line from the file (no syslog header) as the same line over syslog', () => {
    assert.deepEqual(parseTrafficLine(message({}, false)), parseTrafficLine(message({})));
  });

  it('has the fields the template logs, in its order', () => {
    const golden = readFileSync(
      path.join(import.meta.dirname, '..', 'golden', 'metrics', 'nginx.conf'),
      'utf8',
    );
    // Unescaped (escape=none): NGINX would otherwise scan every value twice for bytes to escape.
    const format = /log_format gatehouse_metrics escape=none '([^']*)';/.exec(golden)?.[1];
    const [mark, checksum, ...variables] = format?.split('\\t') ?? [];
    assert.equal(mark, 'gh1');
    assert.match(checksum ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(variables, TRAFFIC_LOG_FIELDS.slice(1));
  });

  it('reads the times and sizes NGINX prints as the very numbers their text is', () => {
    // Read from the bytes without Number(): each must still be the double nearest its decimal text, or a
    // time on a bucket's edge would land in the next bucket and sums would drift.
    for (let ms = 0; ms < 100_000; ms += 1) {
      const text = (ms / 1000).toFixed(3);
      const line = parseTrafficLine(message({ rt: text, uc: text, rl: String(ms), bs: String(ms * 997) }));
      assert.equal(line?.requestSeconds, Number(text), text);
      assert.equal(line.upstream[0]?.connectSeconds, Number(text), text);
      assert.equal(line.requestBytes, ms);
      assert.equal(line.responseBytes, ms * 997);
    }
    for (const odd of ['1e3', '.5', '5.', '0x10', '12345678901234567890', '0.0000000001', 'x', '1.2.3']) {
      const read = parseTrafficLine(message({ rt: odd }))?.requestSeconds;
      assert.ok(Object.is(read, Number(odd)), odd);
    }
  });

  it('reads a request that ended before any location as route -1', () => {
    assert.equal(parseTrafficLine(message({ r: '', s: '400' }))?.route, -1);
  });

  it('refuses what is not a metrics line, without throwing', () => {
    for (const text of [
      '',
      'hello',
      '<190>Dec  1 03:34:36 nginx: gh1\t',
      message({ s: '2000' }),
      message({ c: '' }),
      message({}).replace('\tGET\t', '\tGET\textra\t'),
      message({}).replace('\tGET\t', '\t'),
    ]) {
      assert.equal(parseTrafficLine(text), undefined, text);
    }
  });
});
