import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthFamily } from '../../../src/annotations/basic-auth.ts';
import { HASHES, opaqueSecret } from '../../support/htpasswd.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const USERS = opaqueSecret('users', { auth: `alice:${HASHES.bcrypt}\nbob:${HASHES.sha512}\n` });
const MAP = opaqueSecret('map', { carol: HASHES.apr1 });
const FILE_LINE = /^auth_basic_user_file "\/etc\/gatehouse\/auth\/default_users_[0-9a-f]{12}\.htpasswd";$/;

familyTable(
  basicAuthFamily,
  [
    {
      annotation: 'auth-type',
      value: 'basic',
      with: { 'auth-secret': 'users' },
      objects: [USERS],
      has: ['auth_basic "Authentication Required";'],
    },
    {
      annotation: 'auth-secret',
      value: 'default/users',
      with: { 'auth-type': 'basic' },
      objects: [USERS],
      has: ['auth_basic "Authentication Required";'],
    },
    {
      annotation: 'auth-secret-type',
      value: 'auth-map',
      with: { 'auth-type': 'basic', 'auth-secret': 'map' },
      objects: [MAP],
      has: ['auth_basic "Authentication Required";'],
    },
    {
      annotation: 'auth-realm',
      value: "Ops' admin area (v2)",
      with: { 'auth-type': 'basic', 'auth-secret': 'users' },
      objects: [USERS],
      has: [`auth_basic "Ops' admin area (v2)";`],
    },
  ],
  [
    { annotation: 'auth-type', value: 'ntlm', reason: 'must be "basic" or "digest"' },
    {
      annotation: 'auth-type',
      value: 'digest',
      with: { 'auth-secret': 'users' },
      reason: `digest authentication is not supported (Debian's NGINX has no digest module); use "basic" over HTTPS`,
    },
    { annotation: 'auth-type', value: 'basic', reason: 'needs auth-secret, the Secret holding the users' },
    {
      annotation: 'auth-secret',
      value: 'kube-system/admins',
      with: { 'auth-type': 'basic' },
      reason: "must name a Secret in the Ingress's own namespace",
    },
    {
      annotation: 'auth-secret',
      value: '../etc/passwd',
      with: { 'auth-type': 'basic' },
      reason: 'must be a Secret name, or namespace/name',
    },
    { annotation: 'auth-secret-type', value: 'auth-ldap', reason: 'must be "auth-file" or "auth-map"' },
    {
      annotation: 'auth-realm',
      value: 'x"; include /etc/passwd; #',
      reason: "must be 1-128 letters, digits, spaces and _.,:!?@()/+'-",
    },
    {
      annotation: 'auth-realm',
      value: 'pay $1',
      reason: "must be 1-128 letters, digits, spaces and _.,:!?@()/+'-",
    },
  ],
);

describe('basic auth from a Secret', () => {
  const protect = (objects: Parameters<typeof renderWith>[1] = {}, secret = 'users') =>
    renderWith(prefixed({ 'auth-type': 'basic', 'auth-secret': secret }), objects);

  it('writes the users to an htpasswd file of their own, rebuilt from the validated pairs', () => {
    const secret = opaqueSecret('users', {
      auth: `# comment\r\nbob:${HASHES.sha512}:a comment\r\n\r\nalice:${HASHES.bcrypt}\n`,
    });
    const { location, result, conf } = protect({ objects: [secret] });
    assert.deepEqual(messages(result), []);
    assert.ok(
      location.some((l) => FILE_LINE.test(l)),
      location.join('\n'),
    );
    const file = result.model.authFiles[0];
    assert.equal(file?.content, `alice:${HASHES.bcrypt}\nbob:${HASHES.sha512}\n`);
    assert.ok(!conf.includes(HASHES.bcrypt), 'never in nginx.conf');
  });

  const unusable: [string, Record<string, string>, string][] = [
    ['no auth key', { users: 'x' }, 'Secret default/users has no "auth" key (an htpasswd file)'],
    [
      'plain text',
      { auth: 'eve:{PLAIN}secret\n' },
      'Secret default/users: user eve has no supported password hash',
    ],
    ['DES crypt', { auth: 'eve:abJnggxhB/yWI\n' }, 'user eve has no supported password hash'],
    ['no hash', { auth: 'eve\n' }, 'user eve has no supported password hash'],
    ['an injected line', { auth: `eve:${HASHES.sha}\n"; }\n` }, 'entry 2 has no valid user name'],
    ['no user', { auth: '# nobody\n' }, 'Secret default/users lists no user'],
  ];
  for (const [what, data, reason] of unusable) {
    it(`answers 503 for a Secret with ${what}, naming it`, () => {
      const { location, result } = protect({ objects: [opaqueSecret('users', data)] });
      assert.ok(location.includes('return 503;'), location.join('\n'));
      assert.ok(!location.some((l) => l.startsWith('auth_basic')));
      const [message] = messages(result);
      assert.ok(message?.includes(reason), message);
      assert.match(
        message ?? '',
        /^warning: Ingress default\/web: .*auth-secret\]: .*; its paths answer 503 until it is fixed$/,
      );
    });
  }

  it('answers 503 when the Secret does not exist', () => {
    const { location, result } = protect({});
    assert.ok(location.includes('return 503;'));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/auth-secret]: auth-secret default/users does not exist; its paths answer 503 until it is fixed',
    ]);
  });

  it('ignores auth-secret without auth-type, with a warning', () => {
    const { location, result } = renderWith(prefixed({ 'auth-secret': 'users' }), { objects: [USERS] });
    assert.ok(!location.some((l) => l.startsWith('auth_basic')));
    assert.deepEqual(messages(result), [
      'warning: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/auth-secret]: ignored without auth-type',
    ]);
  });

  it('counts the Secret among the objects the config uses', () => {
    const { result } = protect({ objects: [USERS] });
    assert.ok(result.objects.some((o) => o.kind === 'Secret' && o.name === 'users'));
  });
});
