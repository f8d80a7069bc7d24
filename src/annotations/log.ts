import { defineFamily, defined } from './spec.ts';
import { bool } from './values.ts';

/** Whether the Ingress's requests are written to the access log. */
export interface LogAnnotations {
  readonly accessLog?: boolean;
}

export const logFamily = defineFamily({
  concern: 'log',
  keys: {
    'enable-access-log': {
      schema: bool,
      risk: 'Low',
      scope: 'location',
      description: "Write the Ingress's requests to the access log (traffic metrics are kept either way).",
      example: 'false',
    },
  },
  build: (v): LogAnnotations => defined({ accessLog: v['enable-access-log'] }),
});
