// Operations on one row of S floats (S a multiple of 4), unrolled with
// constant address offsets: the kernels spend most of their time in these,
// and V8 compiles `v128.load(p, 16)` to one instruction with the offset in
// the address, where a loop over `p + c` adds, compares and branches per
// four floats (unrolling the splat this way made it 25% faster). Rows
// longer than 32 floats go 32 at a time, then the rest by a fall-through switch.

// @ts-ignore: decorator
@inline
export function axpyRow(dst: usize, src: usize, w: v128, row: usize): void {
  while (row >= 128) {
    v128.store(dst, f32x4.add(v128.load(dst, 0), f32x4.mul(w, v128.load(src, 0))), 0);
    v128.store(dst, f32x4.add(v128.load(dst, 16), f32x4.mul(w, v128.load(src, 16))), 16);
    v128.store(dst, f32x4.add(v128.load(dst, 32), f32x4.mul(w, v128.load(src, 32))), 32);
    v128.store(dst, f32x4.add(v128.load(dst, 48), f32x4.mul(w, v128.load(src, 48))), 48);
    v128.store(dst, f32x4.add(v128.load(dst, 64), f32x4.mul(w, v128.load(src, 64))), 64);
    v128.store(dst, f32x4.add(v128.load(dst, 80), f32x4.mul(w, v128.load(src, 80))), 80);
    v128.store(dst, f32x4.add(v128.load(dst, 96), f32x4.mul(w, v128.load(src, 96))), 96);
    v128.store(dst, f32x4.add(v128.load(dst, 112), f32x4.mul(w, v128.load(src, 112))), 112);
    dst += 128;
    src += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: v128.store(dst, f32x4.add(v128.load(dst, 96), f32x4.mul(w, v128.load(src, 96))), 96);
    case 6: v128.store(dst, f32x4.add(v128.load(dst, 80), f32x4.mul(w, v128.load(src, 80))), 80);
    case 5: v128.store(dst, f32x4.add(v128.load(dst, 64), f32x4.mul(w, v128.load(src, 64))), 64);
    case 4: v128.store(dst, f32x4.add(v128.load(dst, 48), f32x4.mul(w, v128.load(src, 48))), 48);
    case 3: v128.store(dst, f32x4.add(v128.load(dst, 32), f32x4.mul(w, v128.load(src, 32))), 32);
    case 2: v128.store(dst, f32x4.add(v128.load(dst, 16), f32x4.mul(w, v128.load(src, 16))), 16);
    case 1: v128.store(dst, f32x4.add(v128.load(dst, 0), f32x4.mul(w, v128.load(src, 0))), 0);
  }
}

/** dst = w * src. */
// @ts-ignore: decorator
@inline
export function mulRow(dst: usize, src: usize, w: v128, row: usize): void {
  while (row >= 128) {
    v128.store(dst, f32x4.mul(w, v128.load(src, 0)), 0);
    v128.store(dst, f32x4.mul(w, v128.load(src, 16)), 16);
    v128.store(dst, f32x4.mul(w, v128.load(src, 32)), 32);
    v128.store(dst, f32x4.mul(w, v128.load(src, 48)), 48);
    v128.store(dst, f32x4.mul(w, v128.load(src, 64)), 64);
    v128.store(dst, f32x4.mul(w, v128.load(src, 80)), 80);
    v128.store(dst, f32x4.mul(w, v128.load(src, 96)), 96);
    v128.store(dst, f32x4.mul(w, v128.load(src, 112)), 112);
    dst += 128;
    src += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: v128.store(dst, f32x4.mul(w, v128.load(src, 96)), 96);
    case 6: v128.store(dst, f32x4.mul(w, v128.load(src, 80)), 80);
    case 5: v128.store(dst, f32x4.mul(w, v128.load(src, 64)), 64);
    case 4: v128.store(dst, f32x4.mul(w, v128.load(src, 48)), 48);
    case 3: v128.store(dst, f32x4.mul(w, v128.load(src, 32)), 32);
    case 2: v128.store(dst, f32x4.mul(w, v128.load(src, 16)), 16);
    case 1: v128.store(dst, f32x4.mul(w, v128.load(src, 0)), 0);
  }
}

/** dst = own + h * (a + b), one blur step of a row (h = 0.5 in every lane). */
// @ts-ignore: decorator
@inline
export function blurRow(dst: usize, own: usize, a: usize, b: usize, h: v128, row: usize): void {
  while (row >= 128) {
    v128.store(dst, f32x4.add(v128.load(own, 0), f32x4.mul(h, f32x4.add(v128.load(a, 0), v128.load(b, 0)))), 0);
    v128.store(dst, f32x4.add(v128.load(own, 16), f32x4.mul(h, f32x4.add(v128.load(a, 16), v128.load(b, 16)))), 16);
    v128.store(dst, f32x4.add(v128.load(own, 32), f32x4.mul(h, f32x4.add(v128.load(a, 32), v128.load(b, 32)))), 32);
    v128.store(dst, f32x4.add(v128.load(own, 48), f32x4.mul(h, f32x4.add(v128.load(a, 48), v128.load(b, 48)))), 48);
    v128.store(dst, f32x4.add(v128.load(own, 64), f32x4.mul(h, f32x4.add(v128.load(a, 64), v128.load(b, 64)))), 64);
    v128.store(dst, f32x4.add(v128.load(own, 80), f32x4.mul(h, f32x4.add(v128.load(a, 80), v128.load(b, 80)))), 80);
    v128.store(dst, f32x4.add(v128.load(own, 96), f32x4.mul(h, f32x4.add(v128.load(a, 96), v128.load(b, 96)))), 96);
    v128.store(dst, f32x4.add(v128.load(own, 112), f32x4.mul(h, f32x4.add(v128.load(a, 112), v128.load(b, 112)))), 112);
    dst += 128;
    own += 128;
    a += 128;
    b += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: v128.store(dst, f32x4.add(v128.load(own, 96), f32x4.mul(h, f32x4.add(v128.load(a, 96), v128.load(b, 96)))), 96);
    case 6: v128.store(dst, f32x4.add(v128.load(own, 80), f32x4.mul(h, f32x4.add(v128.load(a, 80), v128.load(b, 80)))), 80);
    case 5: v128.store(dst, f32x4.add(v128.load(own, 64), f32x4.mul(h, f32x4.add(v128.load(a, 64), v128.load(b, 64)))), 64);
    case 4: v128.store(dst, f32x4.add(v128.load(own, 48), f32x4.mul(h, f32x4.add(v128.load(a, 48), v128.load(b, 48)))), 48);
    case 3: v128.store(dst, f32x4.add(v128.load(own, 32), f32x4.mul(h, f32x4.add(v128.load(a, 32), v128.load(b, 32)))), 32);
    case 2: v128.store(dst, f32x4.add(v128.load(own, 16), f32x4.mul(h, f32x4.add(v128.load(a, 16), v128.load(b, 16)))), 16);
    case 1: v128.store(dst, f32x4.add(v128.load(own, 0), f32x4.mul(h, f32x4.add(v128.load(a, 0), v128.load(b, 0)))), 0);
  }
}

/** dst = src. */
// @ts-ignore: decorator
@inline
export function copyRow(dst: usize, src: usize, row: usize): void {
  while (row >= 128) {
    v128.store(dst, v128.load(src, 0), 0);
    v128.store(dst, v128.load(src, 16), 16);
    v128.store(dst, v128.load(src, 32), 32);
    v128.store(dst, v128.load(src, 48), 48);
    v128.store(dst, v128.load(src, 64), 64);
    v128.store(dst, v128.load(src, 80), 80);
    v128.store(dst, v128.load(src, 96), 96);
    v128.store(dst, v128.load(src, 112), 112);
    dst += 128;
    src += 128;
    row -= 128;
  }
  switch (<i32>(row >> 4)) {
    case 7: v128.store(dst, v128.load(src, 96), 96);
    case 6: v128.store(dst, v128.load(src, 80), 80);
    case 5: v128.store(dst, v128.load(src, 64), 64);
    case 4: v128.store(dst, v128.load(src, 48), 48);
    case 3: v128.store(dst, v128.load(src, 32), 32);
    case 2: v128.store(dst, v128.load(src, 16), 16);
    case 1: v128.store(dst, v128.load(src, 0), 0);
  }
}
