import { z } from 'zod';
import { configMapRef } from './headers.ts';
import { defineFamily } from './spec.ts';

/** FastCGI (backend-protocol: FCGI): what NGINX tells the FastCGI server besides the standard parameters. */
export interface FastcgiAnnotations {
  /** fastcgi_index: the file name appended to a URI that ends with `/`. */
  readonly index?: string;
  /** A ConfigMap of the Ingress's namespace whose entries are FastCGI parameters; translate reads it. */
  readonly paramsConfigMap?: string;
}

export const fastcgiFamily = defineFamily({
  concern: 'fastcgi',
  keys: {
    'fastcgi-index': {
      schema: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be a file name (letters, digits, ".", "_" and "-")'),
      risk: 'Medium',
      scope: 'location',
      description:
        'File name the FastCGI server is given for a URI that ends with "/" (fastcgi_index); with backend-protocol FCGI.',
      example: 'index.php',
    },
    'fastcgi-params-configmap': {
      schema: configMapRef,
      risk: 'Medium',
      scope: 'location',
      description:
        "ConfigMap (in the Ingress's namespace) whose entries are FastCGI parameters (names of letters, digits and ._-; values plain text with a few NGINX variables such as $document_root and $fastcgi_script_name), sent besides the standard ones; with backend-protocol FCGI.",
      example: 'php-params',
    },
  },
  build: (v, { namespace, report }): FastcgiAnnotations => {
    const ref = v['fastcgi-params-configmap'];
    if (ref?.namespace !== undefined && ref.namespace !== namespace)
      report('fastcgi-params-configmap', "must name a ConfigMap in the Ingress's own namespace");
    return {
      ...(v['fastcgi-index'] !== undefined && { index: v['fastcgi-index'] }),
      ...(ref !== undefined && { paramsConfigMap: ref.name }),
    };
  },
});
