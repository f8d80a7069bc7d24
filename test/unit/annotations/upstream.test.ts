import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamFamily } from '../../../src/annotations/upstream.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const PROTOCOLS = 'must be one of HTTP, HTTPS, GRPC, GRPCS, AUTO_HTTP, FCGI';
const VHOST = 'must be a host name or IP address, with an optional :port';

familyTable(
  upstreamFamily,
  [
    {
      annotation: 'backend-protocol',
      value: 'HTTPS',
      has: ['proxy_ssl_server_name on;', 'proxy_pass https://gatehouse_balancer;'],
    },
    // ingress-nginx upper-cases the value.
    { annotation: 'backend-protocol', value: 'https', has: ['proxy_pass https://gatehouse_balancer;'] },
    {
      annotation: 'backend-protocol',
      value: 'HTTP',
      has: ['proxy_pass http://gatehouse_balancer;'],
      lacks: ['proxy_ssl_server_name on;'],
    },
    { annotation: 'backend-protocol', value: 'GRPC', has: ['grpc_pass grpc://gatehouse_balancer_grpc;'] },
    {
      annotation: 'backend-protocol',
      value: 'grpcs',
      has: ['grpc_ssl_server_name on;', 'grpc_pass grpcs://gatehouse_balancer;'],
    },
    { annotation: 'backend-protocol', value: 'AUTO_HTTP', has: ['proxy_pass $scheme://gatehouse_balancer;'] },
    // ingress-nginx's value for FastCGI servers (PHP-FPM), in any case.
    { annotation: 'backend-protocol', value: 'fcgi', has: ['fastcgi_pass gatehouse_balancer;'] },
    {
      annotation: 'connection-proxy-header',
      value: 'keep-alive',
      has: ['proxy_set_header Connection keep-alive;', 'proxy_set_header X-Real-IP $remote_addr;'],
    },
    { annotation: 'connection-proxy-header', value: 'close', has: ['proxy_set_header Connection close;'] },
    {
      annotation: 'upstream-vhost',
      value: 'Internal.Example.com',
      has: [
        'proxy_set_header Host "internal.example.com";',
        'proxy_set_header X-Forwarded-Host $gatehouse_host;',
      ],
    },
    { annotation: 'upstream-vhost', value: 'api.svc:8080', has: ['proxy_set_header Host "api.svc:8080";'] },
    { annotation: 'upstream-vhost', value: '[fd00::1]:80', has: ['proxy_set_header Host "[fd00::1]:80";'] },
  ],
  [
    { annotation: 'backend-protocol', value: 'H2C', reason: PROTOCOLS },
    { annotation: 'backend-protocol', value: 'uwsgi', reason: PROTOCOLS },
    { annotation: 'connection-proxy-header', value: 'upgrade', reason: 'must be "close" or "keep-alive"' },
    { annotation: 'upstream-vhost', value: '$host', reason: VHOST },
    { annotation: 'upstream-vhost', value: 'a.example.com; return 200', reason: VHOST },
    { annotation: 'upstream-vhost', value: 'a.example.com:99999', reason: VHOST },
    { annotation: 'upstream-vhost', value: 'http://a.example.com', reason: VHOST },
    { annotation: 'upstream-vhost', value: 'user@a.example.com', reason: VHOST },
  ],
);

describe('backend-protocol GRPC', () => {
  it('sends the request headers with grpc_set_header, without HTTP/1 hop-by-hop ones', () => {
    const { location } = renderWith(
      prefixed({
        'backend-protocol': 'GRPC',
        'upstream-vhost': 'grpc.internal',
        'proxy-read-timeout': '3600',
      }),
    );
    assert.ok(location.includes('grpc_set_header Host "grpc.internal";'), location.join('\n'));
    assert.ok(location.includes('grpc_read_timeout 3600s;'), location.join('\n'));
    assert.ok(!location.some((l) => l.startsWith('proxy_')), location.join('\n'));
    assert.ok(!location.some((l) => /Connection|Upgrade/.test(l)), location.join('\n'));
  });
});
