#!/usr/bin/env node
// Runs the compiled CLI (`npm run build`); falls back to the TypeScript sources on Node 24+,
// which strips types natively, so a checkout works without a build step.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url));
const entry = existsSync(built) ? built : fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));
await import(entry);
