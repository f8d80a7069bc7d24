import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The environment the image gives the controller (the `ENV` lines of docker/Dockerfile, such as Node's heap
 * flags in NODE_OPTIONS), so that a bench starts the controller as the image runs it, from the one place those
 * settings are kept.
 */
export function imageEnvironment(root: string): Record<string, string> {
  const dockerfile = readFileSync(path.join(root, 'docker', 'Dockerfile'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of dockerfile.split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    const pairs = line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g);
    for (const [, key = '', bare = '', quoted] of pairs) env[key] = quoted ?? bare;
  }
  return env;
}
