import type { KubernetesObject } from '@kubernetes/client-node';
import { headersFamily } from '../../../src/annotations/headers.ts';
import { familyTable } from './table.ts';

const CONFIG = { namespace: 'gatehouse', name: 'config' };
const allow = (names: string): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: CONFIG,
    data: { 'global-allowed-response-headers': names },
  }) as KubernetesObject;
const headers = (
  data: Record<string, string>,
  name = 'security-headers',
  namespace = 'default',
): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data }) as KubernetesObject;
const options = { configMap: CONFIG };
const ALLOWED = allow('X-Frame-Options, Content-Security-Policy,X-Team');
const HEADERS = headers({
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; img-src *",
});

familyTable(
  headersFamily,
  [
    {
      annotation: 'custom-headers',
      value: 'security-headers',
      options,
      objects: [ALLOWED, HEADERS],
      has: [
        'proxy_hide_header Content-Security-Policy;',
        `add_header Content-Security-Policy "default-src 'self'; img-src *" always;`,
        'add_header X-Frame-Options "DENY" always;',
      ],
    },
    {
      annotation: 'custom-headers',
      value: 'default/security-headers',
      options,
      objects: [ALLOWED, HEADERS],
      has: ['add_header X-Frame-Options "DENY" always;'],
    },
  ],
  [
    {
      annotation: 'custom-headers',
      value: 'other/security-headers',
      options,
      objects: [ALLOWED, headers({ 'X-Team': 'b' }, 'security-headers', 'other')],
      reason: "must name a ConfigMap in the Ingress's own namespace",
    },
    {
      annotation: 'custom-headers',
      value: 'Bad_Name',
      reason: 'must name a ConfigMap: "name" or "namespace/name"',
    },
    {
      annotation: 'custom-headers',
      value: 'missing',
      options,
      objects: [ALLOWED],
      reason: 'ConfigMap default/missing does not exist',
    },
    {
      annotation: 'custom-headers',
      value: 'security-headers',
      options,
      objects: [allow('X-Frame-Options'), HEADERS],
      reason:
        "ConfigMap security-headers: Content-Security-Policy is not in the controller ConfigMap's global-allowed-response-headers",
    },
    {
      annotation: 'custom-headers',
      value: 'security-headers',
      options,
      objects: [ALLOWED, headers({ 'X-Team': '$remote_addr' })],
      reason:
        'ConfigMap security-headers: the value of X-Team must be printable text without quotes, "\\" or "$"',
    },
    {
      annotation: 'custom-headers',
      value: 'security-headers',
      options,
      objects: [ALLOWED, headers({ 'X-Team': 'a"; add_header X "b' })],
      reason:
        'ConfigMap security-headers: the value of X-Team must be printable text without quotes, "\\" or "$"',
    },
    {
      annotation: 'custom-headers',
      value: 'security-headers',
      options,
      objects: [ALLOWED, headers({ 'X Team': 'a' })],
      reason: 'ConfigMap security-headers: "X Team" is not a header name',
    },
  ],
);
