// The blur's neighbour lists without a hash lookup per neighbour. Each
// lattice key (d integers) is packed into one u64, field c holding
// key[c] - min[c] + d + 1 in B bits, most significant first, so that the
// packed order is the keys' lexicographic order. A neighbour along an axis is
// the key plus a constant vector, and adding a constant keeps that order:
// the packed keys plus that vector's packed form, taken in sorted order, are
// sorted too, and one merge of the two sorted sequences finds every
// neighbour that exists. This reads memory in order where the hash lookups
// (latticeNeighbours) jump at random (two cache misses each: 60 ms for the
// bilateral lattice of a 500x375 image, 107 k points, against about 10).

/**
 * Bits per field for packing `m` keys of `d` i32s, or 0 when they do not fit
 * 63 bits (the caller then uses latticeNeighbours). Writes min[c] - d - 1 to
 * `origin` (d i32s).
 */
export function packedBits(keys: usize, m: i32, d: i32, origin: usize): i32 {
  let bits = 0;
  for (let c = 0; c < d; c++) {
    let lo = i32.MAX_VALUE;
    let hi = i32.MIN_VALUE;
    for (let i = 0; i < m; i++) {
      const v = load<i32>(keys + (<usize>(i * d + c) << 2));
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // Room for the neighbours' coordinates, which move by up to d either way.
    const span = <i64>hi - <i64>lo + 2 * <i64>(d + 1);
    const b = 64 - <i32>clz<i64>(span);
    if (b > bits) bits = b;
    store<i32>(origin + (<usize>c << 2), lo - d - 1);
  }
  return bits * d <= 63 ? bits : 0;
}

/**
 * Sorts the packed keys: codes (u64 x m) and order (i32 x m, point indices)
 * come out ascending; tmpCodes, tmpOrder: the same sizes; counts: 256 i32s.
 * LSD radix sort, 8 bits a pass, over the bits used.
 */
export function sortPacked(keys: usize, m: i32, d: i32, origin: usize, bits: i32, codes: usize, order: usize, tmpCodes: usize, tmpOrder: usize, counts: usize): void {
  for (let i = 0; i < m; i++) {
    let code: u64 = 0;
    for (let c = 0; c < d; c++) code = (code << <u64>bits) | <u64>(load<i32>(keys + (<usize>(i * d + c) << 2)) - load<i32>(origin + (<usize>c << 2)));
    store<u64>(codes + (<usize>i << 3), code);
    store<i32>(order + (<usize>i << 2), i);
  }
  let srcC = codes;
  let srcO = order;
  let dstC = tmpCodes;
  let dstO = tmpOrder;
  for (let shift = 0; shift < bits * d; shift += 8) {
    memory.fill(counts, 0, 256 << 2);
    for (let i = 0; i < m; i++) {
      const digit = <usize>((load<u64>(srcC + (<usize>i << 3)) >> <u64>shift) & 255);
      store<i32>(counts + (digit << 2), load<i32>(counts + (digit << 2)) + 1);
    }
    let sum = 0;
    for (let k = 0; k < 256; k++) {
      const c = load<i32>(counts + (<usize>k << 2));
      store<i32>(counts + (<usize>k << 2), sum);
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const code = load<u64>(srcC + (<usize>i << 3));
      const digit = <usize>((code >> <u64>shift) & 255);
      const at = load<i32>(counts + (digit << 2));
      store<i32>(counts + (digit << 2), at + 1);
      store<u64>(dstC + (<usize>at << 3), code);
      store<i32>(dstO + (<usize>at << 2), load<i32>(srcO + (<usize>i << 2)));
    }
    const tc = srcC;
    srcC = dstC;
    dstC = tc;
    const to = srcO;
    srcO = dstO;
    dstO = to;
  }
  // An odd number of passes leaves the result in the scratch arrays.
  if (srcC != codes) {
    memory.copy(codes, srcC, <usize>m << 3);
    memory.copy(order, srcO, <usize>m << 2);
  }
}

/**
 * prev/next (i32, per axis j and point: neighbour index + 1, 0 when absent)
 * by merging, after sortPacked; points numbered and indexed in key order
 * (the r-th smallest key is point r).
 */
export function mergeNeighbours(codes: usize, m: i32, d: i32, bits: i32, prev: usize, next: usize): void {
  for (let j = 0; j <= d; j++) {
    // The packed form of the "next" step along axis j (prev is its negation).
    let step: i64 = 0;
    for (let c = 0; c < d; c++) step = (step << <i64>bits) + (c == j ? -<i64>d : 1);
    mergeStep(codes, m, step, next + (<usize>(j * m) << 2));
    mergeStep(codes, m, -step, prev + (<usize>(j * m) << 2));
  }
}

// @ts-ignore: decorator
@inline
function mergeStep(codes: usize, m: i32, step: i64, out: usize): void {
  let t = 0;
  let at: u64 = m > 0 ? load<u64>(codes) : 0;
  for (let i = 0; i < m; i++) {
    const want = <u64>(<i64>load<u64>(codes + (<usize>i << 3)) + step);
    while (t < m && at < want) {
      t++;
      if (t < m) at = load<u64>(codes + (<usize>t << 3));
    }
    store<i32>(out + (<usize>i << 2), t < m && at == want ? t + 1 : 0);
  }
}

/**
 * The summed distance in memory (in points) between points and their
 * neighbours, in key order (`order` 0) or, with `order` (key position ->
 * build index), in the build's order of first touch; every 8th point (key
 * order) is enough to compare the two.
 */
export function neighbourSpread(prev: usize, next: usize, m: i32, d1: i32, order: usize): f64 {
  let sum: f64 = 0;
  for (let j = 0; j < d1; j++) {
    for (let i = 0; i < m; i += 8) {
      const self = order ? load<i32>(order + (<usize>i << 2)) : i;
      for (let side = 0; side < 2; side++) {
        const n = load<i32>((side ? next : prev) + (<usize>(j * m + i) << 2));
        if (n == 0) continue;
        const other = order ? load<i32>(order + (<usize>(n - 1) << 2)) : n - 1;
        sum += <f64>abs<i32>(other - self);
      }
    }
  }
  return sum;
}

/** Neighbour numbers (index + 1, `count` of them) from key order to the build's (order: key position -> build index). */
export function renumberNeighbours(list: usize, count: i32, order: usize): void {
  for (let k = 0; k < count; k++) {
    const at = list + (<usize>k << 2);
    const n = load<i32>(at);
    if (n) store<i32>(at, load<i32>(order + (<usize>(n - 1) << 2)) + 1);
  }
}

/** One axis's list from key-order indexing to the build's (tmp: i32 x m). */
export function reindexNeighbours(list: usize, m: i32, order: usize, tmp: usize): void {
  for (let i = 0; i < m; i++) store<i32>(tmp + (<usize>load<i32>(order + (<usize>i << 2)) << 2), load<i32>(list + (<usize>i << 2)));
  memory.copy(list, tmp, <usize>m << 2);
}

/** The largest distance in points between a point and any of its neighbours (lists in one numbering, indexed by it). */
export function neighbourReach(prev: usize, next: usize, m: i32, d1: i32): i32 {
  let reach = 0;
  for (let j = 0; j < d1; j++) {
    for (let i = 0; i < m; i++) {
      for (let side = 0; side < 2; side++) {
        const n = load<i32>((side ? next : prev) + (<usize>(j * m + i) << 2));
        if (n != 0) reach = max(reach, abs<i32>(n - 1 - i));
      }
    }
  }
  return reach;
}
