import { defineFamily } from './spec.ts';
import { locationSnippet, type LocationSnippet } from './nginx-snippet.ts';

/**
 * configuration-snippet, read through Gatehouse's snippet parser (nginx-snippet.ts): only when the
 * ConfigMap allows snippets (allow-snippet-annotations and annotations-risk-level: Critical).
 */
export const snippetFamily = defineFamily({
  concern: 'snippet',
  keys: {
    'configuration-snippet': {
      schema: locationSnippet,
      risk: 'Critical',
      scope: 'location',
      description:
        'NGINX directives for these paths, parsed and re-printed, never pasted: only more_set_headers, add_header, proxy_set_header (plain values), allow/deny (addresses) and return (a status with a text, or a redirect). Needs allow-snippet-annotations.',
      example: 'more_set_headers "X-Frame-Options: DENY";',
    },
  },
  build: (v): LocationSnippet | undefined => v['configuration-snippet'],
});
