/**
 * How a dataset's label maps use the classes, and the one warning training
 * prints before it starts when they look wrong for the format: most pixels
 * ignored, or a class that never appears (e.g. 0/255 masks read as
 * `--format folder --classes 2`, where every foreground pixel is ignored).
 */

export interface LabelCensus {
  /** Pixels counted. */
  pixels: number;
  /** Pixels per stored value 0..255, before the format maps values to classes. */
  stored: number[];
  /** Pixels per class. */
  perClass: number[];
  /** Pixels that are ignored (the stored values the format maps to the ignore index). */
  ignored: number;
  /** The stored values that are ignored, and that occur. */
  ignoredValues: number[];
  /** The --format that read the dataset, for the hint. */
  format?: string;
}

/** Builds the census from a histogram of stored values and the format's value -> class table (ignore and invalid values above numClasses). */
export function censusOf(stored: ArrayLike<number>, classOf: (v: number) => number | undefined, numClasses: number, format?: string): LabelCensus {
  const perClass = new Array<number>(numClasses).fill(0);
  let pixels = 0;
  let ignored = 0;
  const ignoredValues: number[] = [];
  for (let v = 0; v < 256; v++) {
    const n = stored[v] ?? 0;
    pixels += n;
    if (n === 0) continue;
    const k = classOf(v);
    if (k !== undefined && k < numClasses) perClass[k]! += n;
    else if (k !== undefined) {
      ignored += n;
      ignoredValues.push(v);
    }
  }
  return { pixels, stored: Array.from({ length: 256 }, (_, v) => stored[v] ?? 0), perClass, ignored, ignoredValues, ...(format ? { format } : {}) };
}

/** From this share of ignored pixels on, training warns. */
export const IGNORED_WARNING_SHARE = 0.5;

const list = (xs: (string | number)[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/**
 * One sentence (no "warning:" prefix) when the training labels look wrong:
 * at least half the pixels ignored, or a class that never appears, with a
 * hint that fits what was found; undefined when they look fine.
 */
export function labelWarning(c: LabelCensus, classNames: string[]): string | undefined {
  if (c.pixels === 0) return undefined;
  const share = c.ignored / c.pixels;
  const absent = c.perClass.flatMap((n, k) => (n === 0 ? [k] : []));
  const manyIgnored = share >= IGNORED_WARNING_SHARE;
  if (!manyIgnored && absent.length === 0) return undefined;
  const n = classNames.length;
  const named = (k: number) => (classNames[k] && classNames[k] !== `class${k}` ? `${k} (${classNames[k]})` : String(k));
  const shown = absent.length > 5 ? `${absent.slice(0, 5).map(named).join(', ')} and ${absent.length - 5} more` : list(absent.map(named));
  const missing = absent.length ? `class${absent.length > 1 ? 'es' : ''} ${shown} never appear${absent.length > 1 ? '' : 's'}` : '';
  const found = [
    manyIgnored ? `${(100 * share).toFixed(1)}% of the training pixels are ${c.ignoredValues.join(' or ')} (ignored)` : '',
    missing,
  ].filter(Boolean);
  const used = c.stored.flatMap((m, v) => (m > 0 ? [v] : []));
  const present = c.perClass.flatMap((m, k) => (m > 0 ? [k] : []));
  const top = present.length ? Math.max(...present) : -1;
  let hint: string;
  if (c.format === 'folder' && manyIgnored && used.length === 2 && used[0] === 0 && used[1] === 255) {
    // A binary mask stored as 0/255 (ISBI's own format): 255 is folder's ignore value, not class 1.
    hint = `--format folder takes labels 0..${n - 1} (an ISBI-style 0/255 mask needs --format isbi or labels 0/1)`;
  } else if (c.format === 'folder' && manyIgnored) {
    hint = `--format folder takes labels 0..${n - 1}, and 255 is ignored`;
  } else if (manyIgnored) {
    hint = c.format ? `check that the masks are in --format ${c.format}'s labels` : 'check that the masks hold class indices';
  } else if (c.format === 'folder' && absent.every((k) => k > top)) {
    // Only the top classes missing: --classes counts more classes than the masks use.
    hint = `the masks use labels 0..${top}; check --classes ${n}`;
  } else {
    hint = 'the model cannot learn a class this split never shows';
  }
  return `${found.join(', and ')}; ${hint}.`;
}
