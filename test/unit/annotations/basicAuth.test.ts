import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthFamily } from '../../../src/annotations/basic-auth.ts';
import { HASHES, opaqueSecret } from '../../support/htpasswd.ts';
import { ha1, htdigestLine } from '../../support/htdigest.ts';
import { messages } from '../harness.ts';
import { familyTable, prefixed, renderWith } from './table.ts';

const USERS = opaqueSecret('users', { auth: `alice:${HASHES.bcrypt}\nbob:${HASHES.sha512}\n` });
const MAP = opaqueSecret('map', { carol: HASHES.apr1 });
const DIGEST_USERS = opaqueSecret('digest-users', {
  auth: `${htdigestLine('alice', 'Authentication Required', 'pw')}\n`,
});
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
      annotation: 'auth-type',
      value: 'digest',
      with: { 'auth-secret': 'digest-users' },
      objects: [DIGEST_USERS],
      has: ['set $gatehouse_digest_realm "Authentication Required";', 'require("gatehouse.digest").access()'],
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

describe('digest auth from a Secret', () => {
  const REALM = 'Ops area';
  const protect = (objects: Parameters<typeof renderWith>[1] = {}, more: Record<string, string> = {}) =>
    renderWith(
      prefixed({ 'auth-type': 'digest', 'auth-secret': 'users', 'auth-realm': REALM, ...more }),
      objects,
    );
  const DIGEST_FILE =
    /^set \$gatehouse_digest_file "\/etc\/gatehouse\/auth\/default_users_[0-9a-f]{12}\.htdigest";$/;

  it("writes the realm's users to an htdigest file of their own, passed to the Lua handler in variables", () => {
    const alice = ha1('alice', REALM, 'pw');
    const secret = opaqueSecret('users', {
      auth: `# htdigest\r\nzed:${REALM}:${ha1('zed', REALM, 'pw').toUpperCase()}\r\n\nalice:${REALM}:${alice}\nbob:Other:${ha1('bob', 'Other', 'pw')}\n`,
    });
    const { location, result, conf } = protect({ objects: [secret] });
    assert.deepEqual(messages(result), []);
    assert.deepEqual(
      location.filter((l) => l.includes('digest')),
      [
        "# digest auth: Gatehouse's Lua handler checks the credentials against the htdigest file",
        `set $gatehouse_digest_realm "${REALM}";`,
        location.find((l) => DIGEST_FILE.test(l)),
        'require("gatehouse.digest").access()',
      ],
    );
    assert.ok(location.includes('access_by_lua_block {'));
    assert.ok(!location.some((l) => l.startsWith('auth_basic')));
    // Only users of the realm, HA1 in lower case, sorted; the other realm's user is left out.
    assert.equal(
      result.model.authFiles[0]?.content,
      `alice:${REALM}:${alice}\nzed:${REALM}:${ha1('zed', REALM, 'pw')}\n`,
    );
    assert.ok(!conf.includes(alice), 'never in nginx.conf');
    assert.match(conf, /lua_shared_dict gatehouse_digest 4m;/);
    assert.match(conf, /require\("gatehouse.digest"\).init\(\)/);
  });

  it('reads an auth-map Secret: one key per user, realm:HA1 as value', () => {
    const secret = opaqueSecret('users', { carol: `${REALM}:${ha1('carol', REALM, 'pw')}` });
    const { result } = protect({ objects: [secret] }, { 'auth-secret-type': 'auth-map' });
    assert.deepEqual(messages(result), []);
    assert.equal(result.model.authFiles[0]?.content, `carol:${REALM}:${ha1('carol', REALM, 'pw')}\n`);
  });

  it('sets up the nonce table only when some location uses digest auth', () => {
    const { conf } = renderWith(prefixed({ 'auth-type': 'basic', 'auth-secret': 'users' }), {
      objects: [USERS],
    });
    assert.ok(!conf.includes('gatehouse_digest'));
  });

  const unusable: [string, Record<string, string>, string][] = [
    ['no auth key', { users: 'x' }, 'Secret default/users has no "auth" key (an htdigest file)'],
    ['an htpasswd line', { auth: `eve:${HASHES.bcrypt}\n` }, 'user eve has no realm:HA1'],
    ['a short HA1', { auth: `eve:${REALM}:abc\n` }, 'user eve has no realm:HA1'],
    ['no realm', { auth: `eve:${ha1('eve', REALM, 'pw')}\n` }, 'user eve has no realm:HA1'],
    [
      'an injected line',
      { auth: `eve:${REALM}:${ha1('eve', REALM, 'pw')}\n"; }\n` },
      'entry 2 has no valid user name',
    ],
    [
      'no user of the realm',
      { auth: `eve:Other:${ha1('eve', 'Other', 'pw')}\n` },
      'lists no user of realm "Ops area" (auth-realm)',
    ],
  ];
  for (const [what, data, reason] of unusable) {
    it(`answers 503 for a Secret with ${what}, naming it`, () => {
      const { location, result, conf } = protect({ objects: [opaqueSecret('users', data)] });
      assert.ok(location.includes('return 503;'), location.join('\n'));
      assert.ok(!conf.includes('gatehouse_digest'));
      const [message] = messages(result);
      assert.ok(message?.includes(reason), message);
    });
  }
});
