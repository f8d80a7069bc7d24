import { defineFamily } from './spec.ts';
import { bool } from './values.ts';

/** ssl-passthrough: the host's TLS goes to its pods unterminated. */
export interface PassthroughAnnotations {
  readonly enabled: boolean;
}

export const passthroughFamily = defineFamily({
  concern: 'passthrough',
  keys: {
    'ssl-passthrough': {
      schema: bool,
      risk: 'Low',
      scope: 'server',
      description:
        "Hand the host's TLS connections, unterminated, to the Service of its path / (needs --enable-ssl-passthrough); plain HTTP is served as usual.",
      example: 'true',
    },
  },
  build: (v): PassthroughAnnotations | undefined =>
    v['ssl-passthrough'] === undefined ? undefined : { enabled: v['ssl-passthrough'] },
});
