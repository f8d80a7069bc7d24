import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modsecurityFamily } from '../../../src/annotations/modsecurity.ts';
import { checkModSecurityRules } from '../../../src/annotations/modsecurity-rules.ts';
import { configMap } from '../../support/fixtures.ts';
import { messages } from '../harness.ts';
import { SNIPPETS_ALLOWED, familyTable, prefixed, renderWith } from './table.ts';

const ON = { 'enable-modsecurity': 'true' };
const SNIPPETS = SNIPPETS_ALLOWED;
const BASE = 'modsecurity_rules_file "/etc/gatehouse/modsecurity/base.conf";';
const CRS = 'modsecurity_rules_file "/etc/gatehouse/modsecurity/crs.conf";';
const RULES = /^modsecurity_rules_file "\/etc\/gatehouse\/modsecurity\/default_web_[0-9a-f]{12}\.conf";$/;

familyTable(
  modsecurityFamily,
  [
    {
      annotation: 'enable-modsecurity',
      value: 'true',
      has: [
        'modsecurity on;',
        BASE,
        'modsecurity_rules_file "/etc/gatehouse/modsecurity/detection-only.conf";',
      ],
      conf: ['load_module "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so";'],
    },
    { annotation: 'enable-owasp-core-rules', value: 'true', with: ON, has: [CRS] },
    {
      annotation: 'modsecurity-transaction-id',
      value: 'web-$request_id',
      with: ON,
      has: ['modsecurity_transaction_id "web-$request_id";'],
    },
    {
      annotation: 'modsecurity-snippet',
      value: 'SecRuleEngine On\nSecRuleRemoveById 920350',
      with: ON,
      ...SNIPPETS,
      has: ['modsecurity on;'],
    },
  ],
  [
    { annotation: 'enable-modsecurity', value: 'on', reason: 'must be "true" or "false"' },
    {
      annotation: 'enable-owasp-core-rules',
      value: 'yes please',
      with: ON,
      reason: 'must be "true" or "false"',
    },
    {
      annotation: 'modsecurity-transaction-id',
      value: '$request_body',
      with: ON,
      reason: 'must be letters, digits, _.:- and the variable $request_id',
    },
    {
      annotation: 'modsecurity-transaction-id',
      value: 'a"; deny all; "',
      with: ON,
      reason: 'must be letters, digits, _.:- and the variable $request_id',
    },
    {
      annotation: 'modsecurity-snippet',
      value: 'SecRuleEngine On',
      with: ON,
      reason:
        'snippet annotations are disabled: they would paste raw configuration (ConfigMap allow-snippet-annotations)',
    },
    {
      annotation: 'modsecurity-snippet',
      value: 'Include /etc/shadow',
      with: ON,
      ...SNIPPETS,
      reason:
        'Include is not allowed (only SecRuleEngine, SecRule, SecAction, SecMarker and other rule directives)',
    },
  ],
);

describe('ModSecurity rules snippets', () => {
  const refused: [string, string][] = [
    ['SecRule ARGS "@inspectFile /bin/sh" "id:1,deny"', 'SecRule uses @inspectFile'],
    ['SecRule ARGS "@pmFromFile /etc/shadow" "id:1,deny"', 'SecRule uses a *FromFile operator'],
    ['SecAction "id:1,exec:/bin/sh"', 'SecAction uses exec:'],
    ['SecRule REMOTE_ADDR "@rbl sbl.example.com" "id:1,deny"', 'SecRule uses @rbl'],
    ['SecRemoteRules key https://evil.example.com/rules', 'SecRemoteRules is not allowed'],
    ['SecAuditLog /etc/passwd', 'SecAuditLog is not allowed'],
    ['SecRuleEngine On\n}\nserver {', '} is not allowed'],
    ['SecRuleEngine On\u0000', 'must be printable ASCII text'],
    ['# only a comment', 'holds no rule'],
  ];
  for (const [rules, reason] of refused)
    it(`refuses ${JSON.stringify(rules)}`, () => {
      const checked = checkModSecurityRules(rules);
      assert.ok('error' in checked && checked.error.startsWith(reason), JSON.stringify(checked));
    });

  it('joins continuation lines and drops comments', () => {
    assert.deepEqual(
      checkModSecurityRules('# mine\r\nSecRule ARGS "@rx x" \\\n   "id:1,deny"\n\nSecRuleEngine On\n'),
      { rules: 'SecRule ARGS "@rx x"     "id:1,deny"\nSecRuleEngine On\n' },
    );
  });

  it('writes the rules to a file of their own, never into nginx.conf', () => {
    const { location, result, conf } = renderWith(
      prefixed({ ...ON, 'modsecurity-snippet': 'SecRule REQUEST_URI "@beginsWith /admin" "id:9,deny"' }),
      SNIPPETS,
    );
    assert.deepEqual(messages(result), []);
    assert.ok(
      location.some((l) => RULES.test(l)),
      location.join('\n'),
    );
    assert.ok(!conf.includes('@beginsWith'));
    assert.deepEqual(
      result.model.modsecurity?.rulesFiles.map((f) => f.content),
      ['SecRule REQUEST_URI "@beginsWith /admin" "id:9,deny"\n'],
    );
  });

  it('loads nothing (not even the module) when no location uses ModSecurity', () => {
    const { conf } = renderWith(prefixed({ 'enable-owasp-core-rules': 'true' }));
    assert.ok(!conf.includes('modsecurity'));
  });

  it('turns the ConfigMap-wide ModSecurity off for an Ingress that says "false"', () => {
    const objects = [configMap({ 'enable-modsecurity': 'true', 'enable-owasp-modsecurity-crs': 'true' })];
    const options = { configMap: { namespace: 'ops', name: 'gatehouse' } };
    const off = renderWith(prefixed({ 'enable-modsecurity': 'false' }), { objects, options });
    assert.ok(off.location.includes('modsecurity off;'));
    assert.ok(off.conf.includes(`    ${CRS}`), 'the http block loads the Core Rule Set once');
    const inherited = renderWith(prefixed({ 'enable-owasp-core-rules': 'true' }), { objects, options });
    assert.ok(!inherited.location.some((l) => l.startsWith('modsecurity')), inherited.location.join('\n'));
  });
});
