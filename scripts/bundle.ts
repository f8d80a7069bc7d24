// Bundles the controller into dist/bundle/ with esbuild (docs/adr/0016): the CLI and every library it
// reaches, tree-shaken, in ES module files Node loads without node_modules. What runs in the image and the
// scale bench. `npm run build` runs it after tsc; `node scripts/bundle.ts` alone rebuilds the bundle.
//   dist/bundle/gatehouse.js      the CLI (what `node dist/cli/entry.js` is for the compiled tree)
//   dist/bundle/serve-cluster-*.js  cluster mode only (client-node): loaded by `serve` without --manifests
//   dist/bundle/chunk-*.js        code both share
//   *.js.map                      source maps: `node --enable-source-maps` maps stack traces to src/
//   THIRD-PARTY-LICENSES.txt      the license of every package whose code the bundle holds
// The bundle sits two folders below the repository root, as dist/<folder>/*.js does, so the files the code
// reads beside it at run time (../../templates, ../../lua, ../../package.json) are found the same way.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_DIR = path.join(ROOT, 'dist', 'bundle');
export const BUNDLE_ENTRY = path.join(BUNDLE_DIR, 'gatehouse.js');

/** Writes the bundle to `outdir` (emptied first): dist/bundle/ unless told otherwise (the bundle tests). */
export async function bundle(outdir = BUNDLE_DIR): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { gatehouse: 'src/cli/entry.ts' },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Dynamic imports become chunks of their own: folder mode never loads client-node's code.
    splitting: true,
    // Whitespace and syntax only: names stay, so a stack trace reads without the source maps (which cost
    // about 10 MiB of memory when Node loads them: ADR 0016).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // The CommonJS libraries inside (winston, nunjucks, …) call require() for Node's built-in modules.
    banner: {
      js: "import { createRequire as __gatehouseCreateRequire } from 'node:module'; const require = __gatehouseCreateRequire(import.meta.url);",
    },
  });
  await writeFile(path.join(outdir, 'THIRD-PARTY-LICENSES.txt'), await licenses(result.metafile));
  return result.metafile;
}

/** The license file of every package that has code in the bundle, as their licenses ask of a copy. */
async function licenses(metafile: Metafile): Promise<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) packages.add(match[1]);
  }
  const sections: string[] = [];
  for (const dir of [...packages].sort()) {
    const pkg = JSON.parse(await readFile(path.join(ROOT, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const files = (await readdir(path.join(ROOT, dir))).filter((f) => /^(licen[cs]e|copying)/i.test(f));
    const texts = await Promise.all(files.map((f) => readFile(path.join(ROOT, dir, f), 'utf8')));
    sections.push(
      `${pkg.name} ${pkg.version} (${pkg.license ?? 'see its package'})\n\n${texts.join('\n').trim() || `License: ${pkg.license ?? 'unknown'}`}\n`,
    );
  }
  return `Gatehouse's bundle holds code of these packages, under these licenses.\n\n${sections.join(`\n${'-'.repeat(80)}\n\n`)}`;
}

if (import.meta.main) {
  const metafile = await bundle();
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  for (const [file, output] of outputs)
    console.log(`${path.relative(ROOT, file)}: ${(output.bytes / 1024).toFixed(0)} KiB`);
}
