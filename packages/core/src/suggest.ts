/** "Did you mean": the nearest of some names to a mistyped one. */

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The name `word` most likely meant: the nearest within two edits (at most
 * a third of its length, so short words do not match everything), else the
 * one name it begins (three letters at least). Undefined when none is close.
 */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(w.length / 3));
  for (const name of names) {
    const d = editDistance(w, name.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = name;
      bestDistance = d;
    }
  }
  if (best !== undefined) return best;
  const extending = names.filter((n) => n.toLowerCase().startsWith(w));
  return w.length >= 3 && extending.length === 1 ? extending[0] : undefined;
}

/** `did you mean "X"?` to end a sentence with, or '' when no name is near. */
export function didYouMean(word: string, names: readonly string[], quote = (s: string) => `"${s}"`): string {
  const near = nearestName(word, names);
  return near === undefined || near === word ? '' : `did you mean ${quote(near)}?`;
}
