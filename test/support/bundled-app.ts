import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLE_DIR, bundle } from '../../scripts/bundle.ts';
import { REPO_ROOT } from './gatehouse-process.ts';

/** The controller laid out as the image lays it out (docker/Dockerfile), in a folder of its own. */
export interface BundledApp {
  /** `<folder>/dist/bundle/gatehouse.js`: what the image's entrypoint runs. */
  readonly entry: string;
  remove(): Promise<void>;
}

/**
 * Bundles the current sources (scripts/bundle.ts) and copies the bundle, templates/, lua/ and package.json to
 * a temporary folder with no node_modules anywhere above it: what runs there needs nothing else.
 */
export async function bundledApp(): Promise<BundledApp> {
  await bundle();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bundled-'));
  await cp(BUNDLE_DIR, path.join(dir, 'dist', 'bundle'), { recursive: true });
  for (const item of ['templates', 'lua', 'package.json'])
    await cp(path.join(REPO_ROOT, item), path.join(dir, item), { recursive: true });
  return {
    entry: path.join(dir, 'dist', 'bundle', 'gatehouse.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
