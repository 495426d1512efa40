/** Writing files so that readers never see half of one. */
import { rename, rm, writeFile } from 'node:fs/promises';
import { writeError } from './write-error.js';

/** Writes through a temporary file beside `file` and a rename; on failure the temporary file is removed. */
export async function atomicWriteFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeError(err, file);
  }
}
