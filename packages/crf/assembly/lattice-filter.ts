// The lattice filter's splat, blur and slice, four labels at a time (f32x4).
//
// Why WebAssembly: these touch every label of every lattice point on every
// mean-field iteration (about 100 M multiply-adds per iteration for a
// 500x375 image with 21 labels); densecrf does them 4 labels at a time in
// SSE, and so do these.
//
// Layout: every argument is a byte address in the module's memory, laid out
// by the JS side (src/wasm-kernels.ts). Per-pixel arrays hold S floats per
// pixel (the labels rounded up to a multiple of 4); lattice values hold S
// floats per point, row 0 being an always-zero row that absent neighbours
// point at.
import { axpyRow, blurRow, copyRow, mulRow } from './row-ops';
import { softmaxRow } from './softmax-row';

/**
 * values = splat of `input` onto the lattice: values[offset] += weight * input[p].
 * A negative offset marks the vertex that created its point in the build,
 * which is the first to reach it here too (both walk the pixels in raster
 * order): it stores instead of adding, so the values need no clearing first
 * (a pass over megabytes per kernel and iteration saved).
 */
export function splat(offsets: usize, weights: usize, pixels: i32, d1: i32, input: usize, S: i32, values: usize): void {
  const row = <usize>S << 2;
  memory.fill(values, 0, row);
  for (let p = 0; p < pixels; p++) {
    const src = input + <usize>p * row;
    const k0 = <usize>(p * d1) << 2;
    for (let r = 0; r < d1; r++) {
      const k = k0 + (<usize>r << 2);
      const o = load<i32>(offsets + k);
      const w = f32x4.splat(load<f32>(weights + k));
      if (o < 0) mulRow(values + <usize>(-o) * row, src, w, row);
      else axpyRow(values + <usize>o * row, src, w, row);
    }
  }
}

/**
 * One blur pass per lattice axis, v <- v + 0.5 (v_prev + v_next), ping-ponging
 * between `a` (holding the splat) and `b`; returns the address holding the result.
 * With `perm` (see PermutohedralLattice: point r of key order is point
 * perm[r] of the splat's numbering), the first pass reads in the splat's
 * numbering and writes in key order, the passes between stay in key order,
 * where neighbours lie close in memory, and the last writes back in the
 * splat's numbering; prev/next are laid out for that (axis 0 indexed in key
 * order, numbered as the splat; the others in key order). Without, every
 * pass is in the splat's numbering. `reach`: the largest distance between a
 * point and its neighbours along the axes of the passes that run as a
 * wavefront (all, or those between the first and the last with perm).
 */
export function blur(prev: usize, next: usize, d1: i32, points: i32, S: i32, a: usize, b: usize, perm: usize, reach: i32): usize {
  const row = <usize>S << 2;
  memory.fill(b, 0, row);
  if (perm == 0) {
    wavefront(prev, next, points, row, a, b, 0, d1, reach);
  } else {
    // The first and last passes read or write at scattered places; the ones between run as a wavefront.
    blurPass(prev, next, 0, points, row, a, b, perm, 0);
    wavefront(prev, next, points, row, a, b, 1, d1 - 1, reach);
    const at = <usize>((d1 - 1) * points) << 2;
    blurPass(prev + at, next + at, 0, points, row, d1 & 1 ? a : b, d1 & 1 ? b : a, 0, perm);
  }
  return d1 & 1 ? b : a;
}

// Passes `from` to `to` - 1, pass j reading a (j even) or b and writing the
// other, as a wavefront: pass j runs `reach` + 1 points behind pass j - 1, far
// enough that every value it reads is final and every value it overwrites
// consumed (reach: the largest distance between a point and a neighbour
// along these axes), so the passes stream through a window of about
// (to - from) x reach points that stays in cache, where one whole pass after
// another sends every point through memory once per pass.
function wavefront(prev: usize, next: usize, points: i32, row: usize, a: usize, b: usize, from: i32, to: i32, reach: i32): void {
  const lag = reach + 1;
  const block = 256;
  for (let x = 0; x < points + (to - from - 1) * lag; x += block) {
    for (let j = from; j < to; j++) {
      const lo = min(points, max(0, x - (j - from) * lag));
      const hi = min(points, max(0, x + block - (j - from) * lag));
      if (lo >= hi) continue;
      const at = <usize>(j * points) << 2;
      blurPass(prev + at, next + at, lo, hi, row, j & 1 ? b : a, j & 1 ? a : b, 0, 0);
    }
  }
}

// dst[outMap[i]] = src[ownMap[i]] + 0.5 (src[prev[i]] + src[next[i]]) for i in [lo, hi); a map of 0 is the identity.
// @ts-ignore: decorator
@inline
function blurPass(prev: usize, next: usize, lo: i32, hi: i32, row: usize, src: usize, dst: usize, ownMap: usize, outMap: usize): void {
  const half = f32x4.splat(0.5);
  for (let i = lo; i < hi; i++) {
    const own = ownMap ? <usize>load<i32>(ownMap + (<usize>i << 2)) + 1 : <usize>i + 1;
    const out = outMap ? <usize>load<i32>(outMap + (<usize>i << 2)) + 1 : <usize>i + 1;
    const pa = src + <usize>load<i32>(prev + (<usize>i << 2)) * row;
    const pb = src + <usize>load<i32>(next + (<usize>i << 2)) * row;
    blurRow(dst + out * row, src + own * row, pa, pb, half, row);
  }
}

/**
 * out[p] = base[p] + coef * sum_r weight * values[offset] (slice, accumulated
 * onto `base`; base == out accumulates in place); with `normalise`, each
 * pixel's row then becomes its softmax (the last kernel of a mean-field
 * step, while the row is in cache).
 */
export function sliceAdd(offsets: usize, weights: usize, pixels: i32, d1: i32, values: usize, S: i32, base: usize, out: usize, coef: f32, normalise: bool): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const dst = out + <usize>p * row;
    if (base != out) copyRow(dst, base + <usize>p * row, row);
    const k0 = <usize>(p * d1) << 2;
    for (let r = 0; r < d1; r++) {
      const k = k0 + (<usize>r << 2);
      axpyRow(dst, values + <usize>abs<i32>(load<i32>(offsets + k)) * row, f32x4.splat(coef * load<f32>(weights + k)), row);
    }
    if (normalise) softmaxRow(dst, dst, row);
  }
}

/**
 * out[p][r] = weights[p][r] * scale[p]: the symmetric normalisation n L(n Q)
 * folded into the weights, which then serve both splat and slice.
 */
export function scaleWeights(weights: usize, scale: usize, pixels: i32, d1: i32, out: usize): void {
  for (let p = 0; p < pixels; p++) {
    const s = load<f32>(scale + (<usize>p << 2));
    for (let r = 0; r < d1; r++) {
      const k = <usize>(p * d1 + r) << 2;
      store<f32>(out + k, load<f32>(weights + k) * s);
    }
  }
}

/** scale[p] = 1 / sqrt(filtered[p][0] + 1e-20): n from L(1) (S lanes per pixel). */
export function inverseSqrt(filtered: usize, pixels: i32, S: i32, scale: usize): void {
  for (let p = 0; p < pixels; p++) {
    const v = load<f32>(filtered + (<usize>(p * S) << 2));
    store<f32>(scale + (<usize>p << 2), <f32>(1.0 / Math.sqrt(<f64>v + 1e-20)));
  }
}
