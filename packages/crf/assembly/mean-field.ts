// The mean-field update's dense parts: the compatibility transform (a plain
// loop: only matrix compatibilities use it) and the softmax, four labels at a
// time (layout as in lattice-filter.ts).
import { softmaxRow } from './softmax-row';

/** out[p][a] += coef * sum_b M[a][b] v[p][b], for a label-compatibility matrix M (labels x labels, f32). */
export function matrixAdd(v: usize, pixels: i32, S: i32, labels: i32, matrix: usize, out: usize, coef: f32): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const src = v + <usize>p * row;
    const dst = out + <usize>p * row;
    for (let a = 0; a < labels; a++) {
      let t: f32 = 0;
      const m = matrix + (<usize>(a * labels) << 2);
      for (let b = 0; b < labels; b++) t += load<f32>(m + (<usize>b << 2)) * load<f32>(src + (<usize>b << 2));
      store<f32>(dst + (<usize>a << 2), load<f32>(dst + (<usize>a << 2)) + coef * t);
    }
  }
}

/** dst[p] = softmax(src[p]) over the S lanes (padding lanes hold -1e30 and come out 0). */
export function softmax(src: usize, dst: usize, pixels: i32, S: i32): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) softmaxRow(src + <usize>p * row, dst + <usize>p * row, row);
}
