import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../../model/diagnostics.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { buildSnapshot, type SourcedObject } from '../kube-objects.ts';
import { parseManifest } from './parse-manifest.ts';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

export function isManifestFile(file: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => file.endsWith(ext));
}

/** Every manifest file under `dir`, recursively, relative to `dir`, sorted; hidden entries are skipped. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isManifestFile(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !rel.split(path.sep).some((part) => part.startsWith('.')))
    .sort();
}

/**
 * Loads a folder of manifests into a Snapshot. Unreadable files and broken documents are reported and
 * skipped; everything else loads. Throws only when the folder itself cannot be read.
 */
export async function loadManifestFolder(dir: string): Promise<Snapshot> {
  const files = await listManifestFiles(dir);
  const objects: SourcedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.join(dir, file), 'utf8');
    } catch (error) {
      // The file may have been deleted between listing and reading; the watcher will report the change.
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      if (code !== 'ENOENT') {
        diagnostics.push({
          severity: 'error',
          object: { kind: 'File', namespace: '', name: file },
          field: '',
          reason: `cannot be read (${code})`,
        });
      }
      continue;
    }
    const parsed = parseManifest(file, text);
    diagnostics.push(...parsed.diagnostics);
    for (const object of parsed.objects) objects.push({ origin: file, object });
  }
  return buildSnapshot(objects, diagnostics);
}
