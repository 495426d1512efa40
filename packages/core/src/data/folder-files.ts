/**
 * The files a dataset folder should hold, each with its size and SHA-256,
 * against what is there: a stat each (is it whole?) or every file hashed
 * (verify). Both stores read their folders through these: the per-file
 * store against the catalogue's manifest, the archive store against the
 * folder's own.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../io/download.js';
import { forEachLimited } from '../io/for-each-limited.js';

export interface FolderFile {
  /** Where the file sits in the folder ('/'-separated). */
  path: string;
  size: number;
  sha256: string;
}

/** Files of `files` present in `dir` at their size, and their bytes. */
export function presentFiles(dir: string, files: FolderFile[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const f of files) {
    if (statSync(path.join(dir, f.path), { throwIfNoEntry: false })?.size === f.size) {
      count++;
      bytes += f.size;
    }
  }
  return { count, bytes };
}

/** What does not match in `dir` (every file hashed), sorted; none: the folder is whole. */
export async function checkFiles(dir: string, files: FolderFile[], onFile?: (done: number, total: number) => void): Promise<string[]> {
  const problems: string[] = [];
  let done = 0;
  await forEachLimited(files, 4, async (f) => {
    const file = path.join(dir, f.path);
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) problems.push(`${f.path} is missing`);
    else if (size !== f.size) problems.push(`${f.path} has ${size} bytes, not ${f.size}`);
    else if ((await sha256File(file)) !== f.sha256) problems.push(`${f.path} does not match its SHA-256`);
    onFile?.(++done, files.length);
  });
  return problems.sort();
}
