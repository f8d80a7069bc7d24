import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundle } from '../../scripts/bundle.ts';
import { REPO_ROOT } from './gatehouse-process.ts';

/** The controller laid out as the image lays it out (docker/Dockerfile), in a folder of its own. */
export interface BundledApp {
  /** `<folder>/dist/bundle/gatehouse.js`: what the image's entrypoint runs. */
  readonly entry: string;
  remove(): Promise<void>;
}

/**
 * Bundles the current sources (scripts/bundle.ts) into a temporary folder with no node_modules anywhere above
 * it, beside copies of templates/, lua/ and package.json: what runs there needs nothing else. Each call has a
 * folder of its own, so test files running at once do not share one.
 */
export async function bundledApp(): Promise<BundledApp> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bundled-'));
  await bundle(path.join(dir, 'dist', 'bundle'));
  for (const item of ['templates', 'lua', 'package.json'])
    await cp(path.join(REPO_ROOT, item), path.join(dir, item), { recursive: true });
  return {
    entry: path.join(dir, 'dist', 'bundle', 'gatehouse.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
