// Moving per-pixel arrays between the caller's layout (vs values per pixel)
// and the kernels' (S lanes per pixel, S a multiple of 4), and the argmax.

/**
 * dst[p][l] = scale * src[p * vs + l] for l < vs, `pad` for the S - vs padding
 * lanes. Reads up to S - vs floats past the end of src (the caller leaves room).
 */
export function toStrided(src: usize, pixels: i32, vs: i32, S: i32, scale: f32, pad: f32, dst: usize): void {
  const row = <usize>S << 2;
  const k = f32x4.splat(scale);
  for (let p = 0; p < pixels; p++) {
    const s = src + (<usize>(p * vs) << 2);
    const d = dst + <usize>p * row;
    for (let c: usize = 0; c < row; c += 16) v128.store(d + c, f32x4.mul(k, v128.load(s + c)));
    for (let l = vs; l < S; l++) store<f32>(d + (<usize>l << 2), pad);
  }
}

/**
 * dst[p * vs + l] = src[p][l]; writes up to S - vs floats past the end of dst
 * (the caller leaves room). dst may be src: each row moves down, and never
 * onto a row still to be read.
 */
export function fromStrided(src: usize, pixels: i32, vs: i32, S: i32, dst: usize): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const s = src + <usize>p * row;
    const d = dst + (<usize>(p * vs) << 2);
    for (let c: usize = 0; c < row; c += 16) v128.store(d + c, v128.load(s + c));
  }
}

/** out[p] = the first label of the largest value among the first `labels` lanes (u8 when bytes is 1, else u16). */
export function argmax(src: usize, pixels: i32, labels: i32, S: i32, out: usize, bytes: i32): void {
  const row = <usize>S << 2;
  for (let p = 0; p < pixels; p++) {
    const s = src + <usize>p * row;
    let best = 0;
    let top = load<f32>(s);
    for (let l = 1; l < labels; l++) {
      const v = load<f32>(s + (<usize>l << 2));
      if (v > top) {
        top = v;
        best = l;
      }
    }
    if (bytes == 1) store<u8>(out + <usize>p, <u8>best);
    else store<u16>(out + (<usize>p << 1), <u16>best);
  }
}
