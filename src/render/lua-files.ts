import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RenderedFile } from './render.ts';

const LUA_DIR = fileURLToPath(new URL('../../lua', import.meta.url));

let cached: RenderedFile[] | undefined;

/**
 * Gatehouse's Lua tree (lua/gatehouse/*.lua in the package): static code, shipped and tested with the
 * project, copied into every rendered tree so the config and the code it runs travel together.
 */
export function luaFiles(): readonly RenderedFile[] {
  cached ??= readdirSync(path.join(LUA_DIR, 'gatehouse'))
    .filter((f) => f.endsWith('.lua'))
    .sort()
    .map((f) => ({
      path: `lua/gatehouse/${f}`,
      content: readFileSync(path.join(LUA_DIR, 'gatehouse', f), 'utf8'),
      mode: 0o644,
    }));
  return cached;
}
