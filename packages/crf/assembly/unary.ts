// The unary from probabilities, U = -ln(clip(p, clip, 1)), four values at a
// time (3.9 M logarithms for a 500x375 image with 21 labels: the largest
// part of setting up a CRF when done one by one in JavaScript).

// ln on four lanes for x in [1e-38, 1] (Cephes' logf: split x = m 2^e with
// m in [sqrt(1/2), sqrt(2)), a degree-8 polynomial in m - 1; about 1 ulp).
// @ts-ignore: decorator
@inline
function log4(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  // m in [0.5, 1): below sqrt(1/2) use 2m - 1 and e - 1, else m - 1.
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small);
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1.0));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(fe, f32x4.splat(0.693359375)));
}

/**
 * values[i] = ln(clip(values[i], clip, 1)) in place, for `count` floats
 * (room for a multiple of 4). Returns the index of the first value that is
 * not in [0, 1 + 1e-3] (NaN included) and stops there, or -1.
 */
export function logProbabilities(values: usize, count: i32, clip: f32): i32 {
  const lo = f32x4.splat(clip);
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0.0);
  const top = f32x4.splat(1.001);
  for (let i = 0; i < count; i += 4) {
    const at = values + (<usize>i << 2);
    const p = v128.load(at);
    const ok = v128.and(f32x4.ge(p, zero), f32x4.le(p, top));
    if (i32x4.bitmask(ok) != 15) {
      for (let k = 0; k < 4 && i + k < count; k++) {
        const v = load<f32>(at + (<usize>k << 2));
        if (!(v >= 0 && v <= <f32>1.001)) return i + k;
      }
    }
    v128.store(at, log4(f32x4.pmin(f32x4.pmax(p, lo), one)));
  }
  return -1;
}
