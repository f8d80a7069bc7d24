import { z } from 'zod';
import { modsecurityRules } from './modsecurity-rules.ts';
import { defineFamily } from './spec.ts';
import { bool } from './values.ts';

/** ModSecurity for an Ingress's paths (ingress-nginx's modsecurity annotations). */
export interface ModSecurityAnnotations {
  /** `enable-modsecurity`; unset: as the ConfigMap says. */
  readonly enable?: boolean;
  readonly coreRules: boolean;
  readonly transactionId?: string;
  /** Checked ModSecurity rules (modsecurity-snippet), one per line. */
  readonly rules?: string;
}

export const modsecurityFamily = defineFamily({
  concern: 'modsecurity',
  keys: {
    'enable-modsecurity': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description:
        'ModSecurity on these paths, with its recommended engine settings (detection only unless a rules snippet says SecRuleEngine On); "false" turns the ConfigMap\'s off here.',
      example: 'true',
    },
    'enable-owasp-core-rules': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: "Load the OWASP Core Rule Set (Debian's modsecurity-crs) on these paths.",
      example: 'true',
    },
    'modsecurity-transaction-id': {
      schema: z
        .string()
        .trim()
        .regex(
          /^(?:[A-Za-z0-9_.:-]|\$request_id(?![A-Za-z0-9_]))+$/,
          'must be letters, digits, _.:- and the variable $request_id',
        )
        .max(128),
      risk: 'High',
      scope: 'location',
      description: "ModSecurity's transaction id for these requests (e.g. $request_id).",
      example: '$request_id',
    },
    'modsecurity-snippet': {
      schema: modsecurityRules,
      risk: 'Critical',
      scope: 'location',
      description:
        'ModSecurity rules for these paths (SecRule, SecAction, SecRuleEngine, SecRuleRemoveById, …; no Include, file or exec operators), written to a rules file of their own and parsed by ModSecurity when NGINX tests the config. Needs allow-snippet-annotations.',
      example: 'SecRuleEngine On',
    },
  },
  build: (v, { report }): ModSecurityAnnotations => {
    const enable = v['enable-modsecurity'];
    if (enable === false)
      for (const key of [
        'enable-owasp-core-rules',
        'modsecurity-transaction-id',
        'modsecurity-snippet',
      ] as const)
        if (v[key] !== undefined) report(key, 'ignored: enable-modsecurity is "false"', 'warning');
    return {
      ...(enable !== undefined && { enable }),
      coreRules: v['enable-owasp-core-rules'] ?? false,
      ...(v['modsecurity-transaction-id'] !== undefined && {
        transactionId: v['modsecurity-transaction-id'],
      }),
      ...(v['modsecurity-snippet'] !== undefined && { rules: v['modsecurity-snippet'] }),
    };
  },
});
