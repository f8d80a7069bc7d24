import { redirectFamily } from '../../../src/annotations/redirect.ts';
import { familyTable } from './table.ts';

const REDIRECT = 'return 308 https://$host$request_uri;';

familyTable(
  redirectFamily,
  [
    { annotation: 'force-ssl-redirect', value: 'true', has: [REDIRECT] },
    { annotation: 'force-ssl-redirect', value: 'false', has: [], lacks: [REDIRECT] },
    { annotation: 'ssl-redirect', value: 'false', tls: true, has: [], lacks: [REDIRECT] },
    { annotation: 'ssl-redirect', value: 'true', tls: true, has: [REDIRECT] },
    // Go's ParseBool, as ingress-nginx reads booleans.
    { annotation: 'ssl-redirect', value: 'False', tls: true, has: [], lacks: [REDIRECT] },
  ],
  [
    { annotation: 'force-ssl-redirect', value: 'yes', reason: 'must be "true" or "false"' },
    { annotation: 'ssl-redirect', value: 'off', reason: 'must be "true" or "false"' },
  ],
);
