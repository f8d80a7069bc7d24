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

/** True for a path (relative to the folder) with a hidden part: such files are never loaded. */
export function isHidden(relative: string): boolean {
  return relative.split(path.sep).some((part) => part.startsWith('.'));
}

/** Every manifest file under `dir`, recursively, relative to `dir`, sorted; hidden entries are skipped. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isManifestFile(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !isHidden(rel))
    .sort();
}

/** What one manifest file holds, as last read. */
export interface ManifestFile {
  readonly objects: readonly SourcedObject[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads and parses one manifest file (`file` relative to `dir`). Undefined when the file no longer exists;
 * an unreadable file gives a diagnostic and no objects.
 */
export async function readManifestFile(dir: string, file: string): Promise<ManifestFile | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    // Deleted between listing and reading (or a directory by that name): the watcher reports the change.
    if (code === 'ENOENT' || code === 'EISDIR') return undefined;
    const diagnostic: Diagnostic = {
      severity: 'error',
      object: { kind: 'File', namespace: '', name: file },
      field: '',
      reason: `cannot be read (${code})`,
    };
    return { objects: [], diagnostics: [diagnostic] };
  }
  const parsed = parseManifest(file, text);
  return {
    objects: parsed.objects.map((object) => ({ origin: file, object })),
    diagnostics: parsed.diagnostics,
  };
}

/** Reads every manifest file of the folder. Throws only when the folder itself cannot be read. */
export async function readManifestFiles(dir: string): Promise<Map<string, ManifestFile>> {
  const files = new Map<string, ManifestFile>();
  for (const file of await listManifestFiles(dir)) {
    const read = await readManifestFile(dir, file);
    if (read !== undefined) files.set(file, read);
  }
  return files;
}

/** The Snapshot of a folder's files (order-independent: buildSnapshot sorts by file). */
export function snapshotOfFiles(files: ReadonlyMap<string, ManifestFile>): Snapshot {
  const objects: SourcedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const name of [...files.keys()].sort()) {
    const file = files.get(name);
    objects.push(...(file?.objects ?? []));
    diagnostics.push(...(file?.diagnostics ?? []));
  }
  return buildSnapshot(objects, diagnostics);
}

/**
 * Loads a folder of manifests into a Snapshot. Unreadable files and broken documents are reported and
 * skipped; everything else loads. Throws only when the folder itself cannot be read.
 */
export async function loadManifestFolder(dir: string): Promise<Snapshot> {
  return snapshotOfFiles(await readManifestFiles(dir));
}
