import { proxyFamily } from '../../../src/annotations/proxy.ts';
import { familyTable } from './table.ts';

familyTable(
  proxyFamily,
  [
    { annotation: 'proxy-body-size', value: '8M', has: ['client_max_body_size 8m;'] },
    { annotation: 'proxy-body-size', value: '0', has: ['client_max_body_size 0;'] },
    // The http block's default: the location inherits it and prints nothing.
    { annotation: 'proxy-body-size', value: '1m', has: [], lacks: ['client_max_body_size 1m;'] },
    { annotation: 'proxy-buffering', value: 'on', has: ['proxy_buffering on;'] },
    { annotation: 'proxy-buffering', value: 'off', has: [], lacks: ['proxy_buffering off;'] },
    { annotation: 'proxy-connect-timeout', value: '10', has: ['proxy_connect_timeout 10s;'] },
    { annotation: 'proxy-connect-timeout', value: '30s', has: ['proxy_connect_timeout 30s;'] },
    { annotation: 'proxy-read-timeout', value: '3600', has: ['proxy_read_timeout 3600s;'] },
    { annotation: 'proxy-send-timeout', value: '1s', has: ['proxy_send_timeout 1s;'] },
  ],
  [
    { annotation: 'proxy-body-size', value: '8mb', reason: 'must be a size such as 0, 512k, 8m or 1g' },
    { annotation: 'proxy-body-size', value: '-1', reason: 'must be a size such as 0, 512k, 8m or 1g' },
    { annotation: 'proxy-buffering', value: 'true', reason: 'must be "on" or "off"' },
    { annotation: 'proxy-connect-timeout', value: '0', reason: 'must be between 1 and 3600 seconds' },
    { annotation: 'proxy-read-timeout', value: '3601', reason: 'must be between 1 and 3600 seconds' },
    {
      annotation: 'proxy-send-timeout',
      value: '1m',
      reason: 'must be a whole number of seconds (1-3600), optionally ending in "s"',
    },
  ],
);
