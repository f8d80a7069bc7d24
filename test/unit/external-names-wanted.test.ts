// The names the controller's resolver looks up for translate: ExternalName targets and the hosts of
// auth-url and global-auth-url, only for Ingresses of our class.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { externalNamesWanted } from '../../src/translate/external-names.ts';
import { configMap, ingress, ingressClass } from '../support/fixtures.ts';
import { OPTIONS, snapshotOf } from './harness.ts';

const withAuth = (name: string, url: string, className = 'gatehouse') =>
  ingress({
    name,
    className,
    annotations: { 'nginx.ingress.kubernetes.io/auth-url': url },
    rules: [{ host: `${name}.example.com`, paths: [{ service: 'web', port: 80 }] }],
  });

describe('names to resolve', () => {
  it("adds the auth-url hosts of our Ingresses and the ConfigMap's global-auth-url host", () => {
    const snapshot = snapshotOf([
      ingressClass(),
      withAuth('a', 'http://OAuth2-Proxy.auth.svc.cluster.local:4180/oauth2/auth'),
      withAuth('b', 'https://sso.example.net./check'),
      withAuth('ip', 'http://192.0.2.7/check'),
      withAuth('broken', 'not a url'),
      withAuth('theirs', 'http://theirs.example.net/', 'other'),
      configMap({ 'global-auth-url': 'https://global.example.net/verify' }, 'ops', 'gatehouse'),
    ]);
    assert.deepEqual(
      externalNamesWanted(snapshot, { ...OPTIONS, configMap: { namespace: 'ops', name: 'gatehouse' } }),
      ['global.example.net', 'oauth2-proxy.auth.svc.cluster.local', 'sso.example.net'],
    );
  });
});
