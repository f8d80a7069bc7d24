import { upstreamFamily } from '../../../src/annotations/upstream.ts';
import { familyTable } from './table.ts';

familyTable(
  upstreamFamily,
  [
    {
      annotation: 'backend-protocol',
      value: 'HTTPS',
      has: ['proxy_ssl_server_name on;', 'proxy_pass https://default_web_80;'],
    },
    {
      annotation: 'backend-protocol',
      value: 'HTTP',
      has: ['proxy_pass http://default_web_80;'],
      lacks: ['proxy_ssl_server_name on;'],
    },
  ],
  [
    { annotation: 'backend-protocol', value: 'GRPC', reason: 'must be HTTP or HTTPS' },
    { annotation: 'backend-protocol', value: 'https', reason: 'must be HTTP or HTTPS' },
  ],
);
