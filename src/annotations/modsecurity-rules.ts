import { z } from 'zod';

/**
 * ModSecurity rule text (modsecurity-snippet, in an Ingress or the ConfigMap) is ModSecurity's language,
 * not NGINX's: it goes to a rules file of its own, never into nginx.conf. Before that, this lexical check
 * keeps it to directives that only shape the rules of the location it is loaded in, and away from anything
 * that reads or runs files on the proxy (`Include`, `@inspectFile`, `@pmFromFile`, `exec:`) or reaches the
 * network (`SecRemoteRules`, `@rbl`). ModSecurity's own parser then reads the file when NGINX tests the
 * config, and a rules error is blamed on the object that brought the file (ADR 0004).
 */

/** Directives a snippet may use. */
const DIRECTIVES = new Set([
  'SecRuleEngine',
  'SecRule',
  'SecAction',
  'SecMarker',
  'SecDefaultAction',
  'SecRuleRemoveById',
  'SecRuleRemoveByTag',
  'SecRuleRemoveByMsg',
  'SecRuleUpdateActionById',
  'SecRuleUpdateTargetById',
  'SecRuleUpdateTargetByTag',
  'SecRuleUpdateTargetByMsg',
  'SecRequestBodyAccess',
  'SecRequestBodyLimit',
  'SecRequestBodyNoFilesLimit',
  'SecRequestBodyLimitAction',
  'SecResponseBodyAccess',
  'SecResponseBodyLimit',
  'SecResponseBodyLimitAction',
  'SecResponseBodyMimeType',
  'SecAuditEngine',
  'SecAuditLogParts',
  'SecAuditLogRelevantStatus',
]);

/** Operators and actions that read files, run programs or ask the network. */
const FORBIDDEN: readonly (readonly [RegExp, string])[] = [
  [/@inspectFile/i, '@inspectFile'],
  [/FromFile/i, 'a *FromFile operator'],
  [/@pmf\b/i, '@pmf'],
  [/\bexec\s*:/i, 'exec:'],
  [/@rbl\b/i, '@rbl'],
  [/@geoLookup/i, '@geoLookup'],
  [/\bInclude\b/i, 'Include'],
];

const MAX_LENGTH = 16_384;

/**
 * The snippet as logical lines (continuations joined, comments and blank lines dropped), or why it is
 * refused.
 */
export function checkModSecurityRules(text: string): { rules: string } | { error: string } {
  if (text.length > MAX_LENGTH) return { error: `must be at most ${MAX_LENGTH} characters` };
  if (!/^[\t\n\r\x20-\x7e]*$/.test(text))
    return { error: 'must be printable ASCII text (ModSecurity rules), without control characters' };
  const lines = text.replace(/\r\n/g, '\n').replace(/\\\n/g, ' ').split('\n');
  const rules: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const directive = /^\S+/.exec(line)?.[0] ?? '';
    if (!DIRECTIVES.has(directive))
      return {
        error: `${directive.slice(0, 40)} is not allowed (only ${[...DIRECTIVES].slice(0, 4).join(', ')} and other rule directives)`,
      };
    const bad = FORBIDDEN.find(([pattern]) => pattern.test(line));
    if (bad !== undefined)
      return { error: `${directive} uses ${bad[1]}, which reads files, runs programs or asks the network` };
    rules.push(line);
  }
  if (rules.length === 0) return { error: 'holds no rule' };
  return { rules: `${rules.join('\n')}\n` };
}

/** A modsecurity-snippet value: checked and normalised by `checkModSecurityRules`. */
export const modsecurityRules = z.string().transform((v, ctx) => {
  const checked = checkModSecurityRules(v);
  if ('error' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.error });
    return z.NEVER;
  }
  return checked.rules;
});
