/** Throws one sentence when a flat per-pixel array does not match width x height. */
export function checkSize(name: string, a: ArrayLike<number>, width: number, height: number): void {
  if (a.length !== width * height) {
    throw new Error(`${name} has ${a.length} pixels but ${width}x${height} needs ${width * height}.`);
  }
}
