/** A failed write as one sentence naming the file: a full disk says so, with what to do. */
import { InputError, RunFailure } from '../errors/input-error.js';

/** `elsewhere`: how to write somewhere else, for the full-disk sentence ("choose another --out", "point SEG_DATA_DIR at another disk"). */
export function writeError(err: unknown, file: string, elsewhere = 'choose another --out'): Error {
  if (err instanceof InputError || err instanceof RunFailure) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new RunFailure(`No space left on the device while writing ${file}; free some space (or ${elsewhere}) and run again.`);
    case 'ENOTDIR':
      return new InputError(`Cannot write ${file}: a part of its path is a file, not a folder.`);
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return new InputError(`Cannot write ${file}: ${e.code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}.`);
    default:
      return new RunFailure(`Cannot write ${file}: ${(e.message ?? String(err)).replace(/\.$/, '')}.`);
  }
}
