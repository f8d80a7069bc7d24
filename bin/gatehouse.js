#!/usr/bin/env node
// In a checkout, runs the TypeScript sources directly (Node 24 strips types natively), so what runs is
// always what is in src/. Installed as a package (under node_modules, where Node does not strip types) or
// in the image (no src/), runs the bundle from `npm run build` (dist/bundle/, docs/adr/0016).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/bundle/gatehouse.js', import.meta.url));
const useSource = existsSync(source) && !source.includes('/node_modules/');
await import(useSource ? source : built);
