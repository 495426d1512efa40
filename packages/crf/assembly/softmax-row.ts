// The softmax of one row of S floats (S a multiple of 4), unrolled like the
// operations in row-ops.ts: max, exp(x - max) summed, scaled by 1 / sum.

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
  // The polynomial by Estrin's scheme (pairs, then powers of z): a chain half
  // as long as Horner's, which this code's latency is bound by.
  const p01 = f32x4.add(f32x4.mul(x, f32x4.splat(1.6666665459e-1)), f32x4.splat(5.0000001201e-1));
  const p23 = f32x4.add(f32x4.mul(x, f32x4.splat(8.3334519073e-3)), f32x4.splat(4.1665795894e-2));
  const p45 = f32x4.add(f32x4.mul(x, f32x4.splat(1.9875691500e-4)), f32x4.splat(1.3981999507e-3));
  let y = f32x4.add(f32x4.add(p01, f32x4.mul(z, p23)), f32x4.mul(f32x4.mul(z, z), p45));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, pow2n), under);
}

/** The lane-wise max of `m` and the row. */
// @ts-ignore: decorator
@inline
function maxRow(s: usize, m: v128, row: usize): v128 {
  while (row >= 128) {
    m = f32x4.pmax(m, v128.load(s, 0));
    m = f32x4.pmax(m, v128.load(s, 16));
    m = f32x4.pmax(m, v128.load(s, 32));
    m = f32x4.pmax(m, v128.load(s, 48));
    m = f32x4.pmax(m, v128.load(s, 64));
    m = f32x4.pmax(m, v128.load(s, 80));
    m = f32x4.pmax(m, v128.load(s, 96));
    m = f32x4.pmax(m, v128.load(s, 112));
    s += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: m = f32x4.pmax(m, v128.load(s, 96));
    case 6: m = f32x4.pmax(m, v128.load(s, 80));
    case 5: m = f32x4.pmax(m, v128.load(s, 64));
    case 4: m = f32x4.pmax(m, v128.load(s, 48));
    case 3: m = f32x4.pmax(m, v128.load(s, 32));
    case 2: m = f32x4.pmax(m, v128.load(s, 16));
    case 1: m = f32x4.pmax(m, v128.load(s, 0));
  }
  return m;
}

/** d = exp(s - mx) lane by lane; returns the lane-wise sum. */
// @ts-ignore: decorator
@inline
function expRow(s: usize, d: usize, mx: v128, row: usize): v128 {
  let sum = f32x4.splat(0);
  let e: v128;
  while (row >= 128) {
    e = exp4(f32x4.sub(v128.load(s, 0), mx)); v128.store(d, e, 0); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 16), mx)); v128.store(d, e, 16); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 32), mx)); v128.store(d, e, 32); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 48), mx)); v128.store(d, e, 48); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 64), mx)); v128.store(d, e, 64); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 80), mx)); v128.store(d, e, 80); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 96), mx)); v128.store(d, e, 96); sum = f32x4.add(sum, e);
    e = exp4(f32x4.sub(v128.load(s, 112), mx)); v128.store(d, e, 112); sum = f32x4.add(sum, e);
    s += 128;
    d += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: e = exp4(f32x4.sub(v128.load(s, 96), mx)); v128.store(d, e, 96); sum = f32x4.add(sum, e);
    case 6: e = exp4(f32x4.sub(v128.load(s, 80), mx)); v128.store(d, e, 80); sum = f32x4.add(sum, e);
    case 5: e = exp4(f32x4.sub(v128.load(s, 64), mx)); v128.store(d, e, 64); sum = f32x4.add(sum, e);
    case 4: e = exp4(f32x4.sub(v128.load(s, 48), mx)); v128.store(d, e, 48); sum = f32x4.add(sum, e);
    case 3: e = exp4(f32x4.sub(v128.load(s, 32), mx)); v128.store(d, e, 32); sum = f32x4.add(sum, e);
    case 2: e = exp4(f32x4.sub(v128.load(s, 16), mx)); v128.store(d, e, 16); sum = f32x4.add(sum, e);
    case 1: e = exp4(f32x4.sub(v128.load(s, 0), mx)); v128.store(d, e, 0); sum = f32x4.add(sum, e);
  }
  return sum;
}

/** d = d * k. */
// @ts-ignore: decorator
@inline
function scaleRow(d: usize, k: v128, row: usize): void {
  while (row >= 128) {
    v128.store(d, f32x4.mul(v128.load(d, 0), k), 0);
    v128.store(d, f32x4.mul(v128.load(d, 16), k), 16);
    v128.store(d, f32x4.mul(v128.load(d, 32), k), 32);
    v128.store(d, f32x4.mul(v128.load(d, 48), k), 48);
    v128.store(d, f32x4.mul(v128.load(d, 64), k), 64);
    v128.store(d, f32x4.mul(v128.load(d, 80), k), 80);
    v128.store(d, f32x4.mul(v128.load(d, 96), k), 96);
    v128.store(d, f32x4.mul(v128.load(d, 112), k), 112);
    d += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: v128.store(d, f32x4.mul(v128.load(d, 96), k), 96);
    case 6: v128.store(d, f32x4.mul(v128.load(d, 80), k), 80);
    case 5: v128.store(d, f32x4.mul(v128.load(d, 64), k), 64);
    case 4: v128.store(d, f32x4.mul(v128.load(d, 48), k), 48);
    case 3: v128.store(d, f32x4.mul(v128.load(d, 32), k), 32);
    case 2: v128.store(d, f32x4.mul(v128.load(d, 16), k), 16);
    case 1: v128.store(d, f32x4.mul(v128.load(d, 0), k), 0);
  }
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

// @ts-ignore: decorator
@inline
export function softmaxRow(s: usize, d: usize, row: usize): void {
  const mx = hmax4(maxRow(s, v128.load(s), row));
  const sum = expRow(s, d, mx, row);
  scaleRow(d, f32x4.div(f32x4.splat(1.0), hsum4(sum)), row);
}
