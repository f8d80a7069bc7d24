import { defineFamily, defined } from './spec.ts';
import { locationSnippet, serverSnippet, type LocationSnippet, type ServerSnippet } from './nginx-snippet.ts';

/** The snippets of an Ingress, parsed (nginx-snippet.ts). */
export interface Snippets {
  /** configuration-snippet: for each location of the Ingress. */
  readonly location?: LocationSnippet;
  /** server-snippet: for each host of the Ingress (see translate's host rules). */
  readonly server?: ServerSnippet;
}

/**
 * configuration-snippet and server-snippet, read through Gatehouse's snippet parser (nginx-snippet.ts):
 * only when the ConfigMap allows snippets (allow-snippet-annotations and annotations-risk-level: Critical).
 */
export const snippetFamily = defineFamily({
  concern: 'snippet',
  keys: {
    'configuration-snippet': {
      schema: locationSnippet,
      risk: 'Critical',
      scope: 'location',
      description:
        'NGINX directives for these paths, parsed and re-printed, never pasted: only more_set_headers, add_header, proxy_set_header (plain values), allow/deny (addresses), return (a status with a text, or a redirect) and rewrite (a checked regex, a replacement of path characters, captures and a few variables; break, redirect or permanent). Needs allow-snippet-annotations.',
      example: 'more_set_headers "X-Frame-Options: DENY";',
    },
    'server-snippet': {
      schema: serverSnippet,
      risk: 'Critical',
      scope: 'server',
      description:
        'NGINX directives for the whole host, parsed and re-printed, never pasted: the directives configuration-snippet allows, and location blocks (=, prefix, or ~/~* with a checked regex) holding only headers, allow/deny and return. Only the oldest Ingress of a host sets it, and no other namespace may serve that host. Needs allow-snippet-annotations.',
      example: 'location = /robots.txt { return 200 "User-agent: *\\nDisallow: /\\n"; }',
    },
  },
  build: (v): Snippets | undefined =>
    v['configuration-snippet'] === undefined && v['server-snippet'] === undefined
      ? undefined
      : defined({ location: v['configuration-snippet'], server: v['server-snippet'] }),
});
