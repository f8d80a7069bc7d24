import { defineFamily, defined } from './spec.ts';
import { bool } from './values.ts';

/** Redirects an Ingress asks for. Unset fields follow the ConfigMap's defaults. */
export interface RedirectAnnotations {
  readonly sslRedirect?: boolean;
  readonly forceSslRedirect?: boolean;
}

export const redirectFamily = defineFamily({
  concern: 'redirect',
  keys: {
    'force-ssl-redirect': {
      schema: bool,
      risk: 'Medium',
      scope: 'location',
      description: 'Redirect HTTP to HTTPS (308) even when the Ingress has no TLS section.',
      example: 'true',
    },
    'ssl-redirect': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: 'Redirect HTTP to HTTPS (308) when the host has TLS. Default true.',
      example: 'false',
    },
  },
  build: (v): RedirectAnnotations =>
    defined({ sslRedirect: v['ssl-redirect'], forceSslRedirect: v['force-ssl-redirect'] }),
});
