import { checkSize } from './size.js';

/**
 * 4-connected components of the nonzero pixels, labelled 1..k in raster
 * order of their first pixel; 0 stays 0. Iterative flood fill (no recursion,
 * so large cells cannot overflow the stack).
 */
export function connectedComponents(mask: ArrayLike<number>, width: number, height: number): Int32Array {
  checkSize('Mask', mask, width, height);
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  let id = 0;
  let top = 0;
  // Labelled when pushed, so each pixel is pushed once and the stack never exceeds N.
  const visit = (q: number): void => {
    if (mask[q] !== 0 && labels[q] === 0) {
      labels[q] = id;
      stack[top++] = q;
    }
  };
  for (let s = 0; s < labels.length; s++) {
    if (mask[s] === 0 || labels[s] !== 0) continue;
    id++;
    visit(s);
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      if (x > 0) visit(p - 1);
      if (x + 1 < width) visit(p + 1);
      if (p >= width) visit(p - width);
      if (p + width < labels.length) visit(p + width);
    }
  }
  return labels;
}
