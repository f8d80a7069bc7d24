import { z } from 'zod';
import { defineFamily } from './spec.ts';
import { vhost } from './upstream.ts';
import { absoluteUrl } from './url.ts';
import { onOff } from './values.ts';

/**
 * Request mirroring (ingress-nginx's mirror-target): every request of the Ingress's paths is also sent to a
 * mirror, whose answer is dropped. The target is parsed and rebuilt from its parts (ingress-nginx pasted it
 * into `proxy_pass`, CVE-2025-1098); its host is resolved by the controller and held to the ExternalName
 * address policy, as auth-url's is, so NGINX never resolves a name.
 */
export interface MirrorTarget {
  readonly https: boolean;
  /** A DNS name (no trailing dot) or an IP address (IPv6 in brackets). */
  readonly hostname: string;
  readonly port: number;
  /**
   * What follows the host: path and query characters and the variables of `MIRROR_VARIABLES`; empty when
   * the URL has none.
   */
  readonly uri: string;
}

export interface MirrorAnnotations {
  readonly target: MirrorTarget;
  /** Host header of the mirrored request: mirror-host, else the target's host. */
  readonly host: string;
  /** mirror-request-body: the mirror gets the request's body too (default on). */
  readonly requestBody: boolean;
}

/**
 * Variables a mirror-target may use after its host. The mirrored request is a subrequest to an internal
 * location, so `$uri` would be that location's; `$request_uri` (the client's URI with its query) is what
 * ingress-nginx documents, `$is_args$args` the query alone.
 */
const MIRROR_VARIABLES = ['request_uri', 'is_args', 'args'] as const;

/** Path and query characters of url.ts, without `$`, quotes, `;` or whitespace. */
const LITERAL = /^([A-Za-z0-9\-._~/:@!&()*+,=?]|%[0-9A-Fa-f]{2})*$/;
const origin = absoluteUrl({ schemes: ['http', 'https'], path: false });
const SHAPE = 'must be an absolute http or https URL, such as https://mirror.example.com$request_uri';

/** mirror-target: `scheme://host[:port]` and then path characters and `$request_uri`, `$is_args`, `$args`. */
export const mirrorTarget = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .transform((value, ctx): MirrorTarget => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    // The host ends at the first `/`, `?` or `$`: `https://mirror.example.com$request_uri` is common.
    const m = /^([A-Za-z]+):\/\/([^/?#$]*)(.*)$/s.exec(value);
    if (m === null) return fail(SHAPE);
    const [, scheme = '', authority = '', rest = ''] = m;
    const parsedOrigin = origin.safeParse(`${scheme}://${authority}`);
    if (!parsedOrigin.success) return fail(parsedOrigin.error.issues[0]?.message ?? SHAPE);
    if (rest !== '' && !/^[/?$]/.test(rest)) return fail(SHAPE);
    const pieces = rest.split(/\$([A-Za-z0-9_]*)/);
    for (const [i, piece] of pieces.entries()) {
      if (i % 2 === 1) {
        if (!(MIRROR_VARIABLES as readonly string[]).includes(piece))
          return fail(
            `may use only the variables ${MIRROR_VARIABLES.map((v) => `$${v}`).join(', ')} (found ${piece === '' ? 'a lone $' : `$${piece}`})`,
          );
      } else if (!LITERAL.test(piece))
        return fail('must use only letters, digits and -._~/:@!&()*+,=?% in its path and query');
    }
    const url = new URL(parsedOrigin.data);
    const https = url.protocol === 'https:';
    return {
      https,
      hostname: url.hostname.replace(/\.$/, ''),
      port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
      uri: rest,
    };
  });

export const mirrorFamily = defineFamily({
  concern: 'mirror',
  keys: {
    'mirror-target': {
      schema: mirrorTarget,
      risk: 'High',
      scope: 'location',
      description:
        "Also sends each request to this URL and drops its answer; may use $request_uri, $is_args and $args. Its host is resolved by the controller and held to the ExternalName address policy; a slow or dead mirror never holds up the client's answer.",
      example: 'https://mirror.example.com$request_uri',
    },
    'mirror-request-body': {
      schema: onOff,
      risk: 'Low',
      scope: 'location',
      description: 'Whether the mirror gets the request body too ("on", the default, or "off").',
      example: 'off',
    },
    'mirror-host': {
      schema: vhost,
      risk: 'High',
      scope: 'location',
      description: "Host header of the mirrored requests (default: mirror-target's host).",
      example: 'test.env.example.com',
    },
  },
  build: (v, { report }): MirrorAnnotations | undefined => {
    const target = v['mirror-target'];
    if (target === undefined) {
      for (const key of Object.keys(v)) report(key, 'ignored without mirror-target', 'warning');
      return undefined;
    }
    const defaultPort = target.port === (target.https ? 443 : 80);
    return {
      target,
      host: v['mirror-host'] ?? (defaultPort ? target.hostname : `${target.hostname}:${target.port}`),
      requestBody: v['mirror-request-body'] ?? true,
    };
  },
});
