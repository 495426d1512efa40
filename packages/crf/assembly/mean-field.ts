// The mean-field update's dense parts: the compatibility transform and the
// softmax, four labels at a time (layout as in lattice-filter.ts).

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

// exp on four lanes for x <= 0 (Cephes' expf: Cody-Waite reduction by ln 2 and
// a degree-6 polynomial, about 1 ulp); 0 below -87 (where f32 underflows).
// n = round(x log2 e) by the 1.5 * 2^23 trick: the sum's low mantissa bits
// hold n, so shifting (bits + 127) left by 23 gives 2^n with no conversions.
// @ts-ignore: decorator
@inline
function exp4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(-87.0));
  x = f32x4.pmax(x, f32x4.splat(-87.0));
  const magic = f32x4.splat(12582912.0);
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic);
  x = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, pow2n), under);
}

// Horizontal max / sum of four lanes, broadcast to all four (pmax: no NaNs here).
// @ts-ignore: decorator
@inline
function hmax4(v: v128): v128 {
  v = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.pmax(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

// @ts-ignore: decorator
@inline
function hsum4(v: v128): v128 {
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.add(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

/** dst[p] = softmax(src[p]) over the S lanes (padding lanes hold -1e30 and come out 0). */
export function softmax(src: usize, dst: usize, pixels: i32, S: i32): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const s = src + <usize>p * row;
    const d = dst + <usize>p * row;
    let mx = v128.load(s);
    for (let c: usize = 16; c < row; c += 16) mx = f32x4.pmax(mx, v128.load(s + c));
    mx = hmax4(mx);
    let sum = f32x4.splat(0);
    for (let c: usize = 0; c < row; c += 16) {
      const e = exp4(f32x4.sub(v128.load(s + c), mx));
      v128.store(d + c, e);
      sum = f32x4.add(sum, e);
    }
    const inv = f32x4.div(f32x4.splat(1.0), hsum4(sum));
    for (let c: usize = 0; c < row; c += 16) v128.store(d + c, f32x4.mul(v128.load(d + c), inv));
  }
}

