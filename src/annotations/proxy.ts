import type { ProxyTuning } from '../model/nginx.ts';
import { defineFamily, defined } from './spec.ts';
import { onOff, seconds, size } from './values.ts';

/** Proxy tuning: timeouts, body size and buffering. Only the keys an Ingress sets. */
export const proxyFamily = defineFamily({
  concern: 'proxy',
  keys: {
    'proxy-body-size': {
      schema: size,
      risk: 'Medium',
      scope: 'location',
      description: 'Largest request body allowed (client_max_body_size).',
      example: '8m',
    },
    'proxy-buffering': {
      schema: onOff,
      risk: 'Low',
      scope: 'location',
      description: 'Buffer responses from the pods: "on" or "off".',
      example: 'off',
    },
    'proxy-connect-timeout': {
      schema: seconds,
      risk: 'Low',
      scope: 'location',
      description: 'Seconds to wait for a connection to a pod.',
      example: '5',
    },
    'proxy-read-timeout': {
      schema: seconds,
      risk: 'Low',
      scope: 'location',
      description: 'Seconds to wait between two reads from a pod.',
      example: '60',
    },
    'proxy-send-timeout': {
      schema: seconds,
      risk: 'Low',
      scope: 'location',
      description: 'Seconds to wait between two writes to a pod.',
      example: '60',
    },
  },
  build: (v): Partial<ProxyTuning> =>
    defined({
      bodySize: v['proxy-body-size'],
      buffering: v['proxy-buffering'],
      connectTimeoutSeconds: v['proxy-connect-timeout'],
      readTimeoutSeconds: v['proxy-read-timeout'],
      sendTimeoutSeconds: v['proxy-send-timeout'],
    }),
});
