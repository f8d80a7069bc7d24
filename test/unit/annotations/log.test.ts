import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { logFamily } from '../../../src/annotations/log.ts';
import { ingress, ingressClass, serviceWithEndpoints } from '../../support/fixtures.ts';
import { PATHS, translateObjects } from '../harness.ts';
import { render } from '../../../src/render/render.ts';
import { familyTable } from './table.ts';

familyTable(
  logFamily,
  [
    { annotation: 'enable-access-log', value: 'false', has: ['access_log off;'] },
    { annotation: 'enable-access-log', value: 'true', has: [], lacks: ['access_log off;'] },
  ],
  [{ annotation: 'enable-access-log', value: 'no', reason: 'must be "true" or "false"' }],
);

describe('enable-access-log with the metrics log', () => {
  it('keeps the metrics log in a location that leaves the access log', () => {
    const result = translateObjects([
      ingressClass(),
      ingress({
        name: 'web',
        annotations: { 'nginx.ingress.kubernetes.io/enable-access-log': 'false' },
        rules: [{ host: 'web.example.com', paths: [{ service: 'web', port: 80 }] }],
      }),
      ...serviceWithEndpoints('web', [{ ip: '10.0.0.1', port: 8080 }]),
    ]);
    const metricsLog = 'syslog:server=127.0.0.1:5514,nohostname,tag=nginx';
    const conf = render(result.model, { ...PATHS, metricsLog }).nginxConf;
    const location = conf.slice(conf.indexOf('# ingress default/web'));
    // access_log off would cancel every log of the level, the metrics log included: name that one instead.
    assert.match(
      location,
      /location "\/" \{\n\s+set \$gatehouse_route 0;\n\s+access_log syslog:server=127\.0\.0\.1:5514,nohostname,tag=nginx gatehouse_metrics;/,
    );
    assert.ok(!location.slice(0, location.indexOf('}')).includes('access_log off;'));
  });
});
