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

/** values = splat of `input` onto the lattice: values[offset] += weight * input[p]. */
export function splat(offsets: usize, weights: usize, pixels: i32, d1: i32, input: usize, S: i32, values: usize, points: i32): void {
  const row = <usize>S << 2;
  memory.fill(values, 0, <usize>(points + 1) * row);
  for (let p = 0; p < pixels; p++) {
    const src = input + <usize>p * row;
    const k0 = <usize>(p * d1) << 2;
    for (let r = 0; r < d1; r++) {
      const k = k0 + (<usize>r << 2);
      const o = values + <usize>load<i32>(offsets + k) * row;
      const w = f32x4.splat(load<f32>(weights + k));
      for (let c: usize = 0; c < row; c += 16) {
        v128.store(o + c, f32x4.add(v128.load(o + c), f32x4.mul(w, v128.load(src + c))));
      }
    }
  }
}

/**
 * One blur pass per lattice axis, v <- v + 0.5 (v_prev + v_next), ping-ponging
 * between `a` (holding the splat) and `b`; returns the address holding the result.
 */
export function blur(prev: usize, next: usize, d1: i32, points: i32, S: i32, a: usize, b: usize): usize {
  const row = <usize>S << 2;
  const half = f32x4.splat(0.5);
  memory.fill(b, 0, row);
  let src = a;
  let dst = b;
  for (let j = 0; j < d1; j++) {
    const base = <usize>(j * points) << 2;
    for (let i = 0; i < points; i++) {
      const o = <usize>(i + 1) * row;
      const pa = src + <usize>load<i32>(prev + base + (<usize>i << 2)) * row;
      const pb = src + <usize>load<i32>(next + base + (<usize>i << 2)) * row;
      for (let c: usize = 0; c < row; c += 16) {
        const n = f32x4.add(v128.load(pa + c), v128.load(pb + c));
        v128.store(dst + o + c, f32x4.add(v128.load(src + o + c), f32x4.mul(half, n)));
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

/**
 * out[p] = base[p] + coef * sum_r weight * values[offset] (slice, accumulated
 * onto `base`; base == out accumulates in place).
 */
export function sliceAdd(offsets: usize, weights: usize, pixels: i32, d1: i32, values: usize, S: i32, base: usize, out: usize, coef: f32): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const dst = out + <usize>p * row;
    if (base != out) {
      const src = base + <usize>p * row;
      for (let c: usize = 0; c < row; c += 16) v128.store(dst + c, v128.load(src + c));
    }
    const k0 = <usize>(p * d1) << 2;
    for (let r = 0; r < d1; r++) {
      const k = k0 + (<usize>r << 2);
      const o = values + <usize>load<i32>(offsets + k) * row;
      const w = f32x4.splat(coef * load<f32>(weights + k));
      for (let c: usize = 0; c < row; c += 16) {
        v128.store(dst + c, f32x4.add(v128.load(dst + c), f32x4.mul(w, v128.load(o + c))));
      }
    }
  }
}

/**
 * Splat and slice weights with the symmetric normalisation folded in:
 * splat = w * scale[p], slice = w * scale[p] * alpha (alpha = 1 / (1 + 2^-d)).
 * scale = 0 stands for "no scale" (all ones).
 */
export function scaleWeights(weights: usize, scale: usize, pixels: i32, d1: i32, alpha: f32, splatOut: usize, sliceOut: usize): void {
  for (let p = 0; p < pixels; p++) {
    const s: f32 = scale ? load<f32>(scale + (<usize>p << 2)) : 1;
    for (let r = 0; r < d1; r++) {
      const k = <usize>(p * d1 + r) << 2;
      const w = load<f32>(weights + k) * s;
      store<f32>(splatOut + k, w);
      store<f32>(sliceOut + k, w * alpha);
    }
  }
}
