/** Split lists (ImageSets/Segmentation/train.txt and the like): one id, or one line, a line. */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors/input-error.js';

/** Non-empty trimmed lines of a split list, or one sentence naming the missing file. */
export async function readList(file: string, what: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new InputError(`${what} split list ${file} does not exist.`);
  });
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A split list's text: one id a line. */
export const listText = (ids: string[]) => ids.map((id) => `${id}\n`).join('');
