// Building the permutohedral lattice (src/permutohedral.ts documents the steps): the
// elevation, simplex search and barycentric weights per pixel, and an
// open-addressing hash from integer lattice keys (d coordinates; the last
// one is implied by the zero sum) to point indices in order of first touch.

/** Entries of the recent-points cache (a power of two). */
const RECENT = 256;

let hKeys: usize = 0;
let hTable: usize = 0;
let hMask: u32 = 0;
let hSize: i32 = 0;
let hCapacity: i32 = 0;
let hD: i32 = 0;

// @ts-ignore: decorator
@inline
function hashKey(key: usize): u32 {
  let h: u32 = 0;
  for (let i = 0; i < hD; i++) h = (h + <u32>load<i32>(key + (<usize>i << 2))) * 2531011;
  return h;
}

/** Index of `key` (hD i32s), inserting it when `create`; -1 when absent, -2 when the key store is full. */
function find(key: usize, create: bool): i32 {
  return findHashed(key, hashKey(key), create);
}

function findHashed(key: usize, hash: u32, create: bool): i32 {
  let h = hash & hMask;
  const bytes = <usize>hD << 2;
  while (true) {
    const e = load<i32>(hTable + (<usize>h << 2));
    if (e == -1) {
      if (!create) return -1;
      if (hSize >= hCapacity) return -2;
      for (let i = 0; i < hD; i++) store<i32>(hKeys + <usize>hSize * bytes + (<usize>i << 2), load<i32>(key + (<usize>i << 2)));
      store<i32>(hTable + (<usize>h << 2), hSize);
      return hSize++;
    }
    const stored = hKeys + <usize>e * bytes;
    let same = true;
    for (let i = 0; i < hD; i++) {
      if (load<i32>(stored + (<usize>i << 2)) != load<i32>(key + (<usize>i << 2))) {
        same = false;
        break;
      }
    }
    if (same) return e;
    h = (h + 1) & hMask;
  }
}

/**
 * Splat positions: for each pixel of `features` (f32, d per pixel) the d+1
 * enclosing lattice points (index + 1 into `offsets`, negated where the
 * vertex created the point) and barycentric weights.
 * keys: room for `capacity` keys; table: `tableSize` (a power of two) i32s;
 * scratch: 24 KiB. Returns the number of lattice points, or -2 when more than
 * `capacity` were needed.
 */
export function buildLattice(features: usize, d: i32, pixels: i32, offsets: usize, weights: usize, keys: usize, capacity: i32, table: usize, tableSize: i32, scratch: usize): i32 {
  hKeys = keys;
  hTable = table;
  hMask = <u32>tableSize - 1;
  hSize = 0;
  hCapacity = capacity;
  hD = d;
  memory.fill(table, 0xff, <usize>tableSize << 2);
  const d1 = d + 1;
  // scratch: f64 scale[d], elevated[d1], bary[d + 2], residual[d1]; i32 rem0[d1], rank[d1], key[d1],
  // canonical[d1 * d1], the previous pixel's rem0[d1], rank[d1], and the recent-points cache
  const scale = scratch;
  const elevated = scale + (<usize>d << 3);
  const bary = elevated + (<usize>d1 << 3);
  const residual = bary + (<usize>(d + 2) << 3);
  const rem0 = residual + (<usize>d1 << 3);
  const rank = rem0 + (<usize>d1 << 2);
  const key = rank + (<usize>d1 << 2);
  const canonical = key + (<usize>d1 << 2);
  const lastRem0 = canonical + (<usize>(d1 * d1) << 2);
  const lastRank = lastRem0 + (<usize>d1 << 2);
  // The recent-points cache: RECENT entries of (index, key[d]), index -1 when empty.
  const recentBytes = <usize>d1 << 2;
  const recent = (lastRank + (<usize>d1 << 2) + 15) & ~15;
  for (let e = 0; e < RECENT; e++) store<i32>(recent + <usize>e * recentBytes, -1);
  const invStdDev = Math.sqrt(2.0 / 3.0) * <f64>d1;
  for (let i = 0; i < d; i++) store<f64>(scale + (<usize>i << 3), invStdDev / Math.sqrt(<f64>((i + 1) * (i + 2))));
  for (let r = 0; r <= d; r++) {
    for (let i = 0; i <= d - r; i++) store<i32>(canonical + (<usize>(r * d1 + i) << 2), r);
    for (let i = d - r + 1; i <= d; i++) store<i32>(canonical + (<usize>(r * d1 + i) << 2), r - d1);
  }
  const fd1 = <f64>d1;
  const invD1 = 1.0 / fd1;
  for (let p = 0; p < pixels; p++) {
    const f = features + (<usize>(p * d) << 2);
    // Elevate onto the hyperplane (sum of coordinates 0).
    let sm: f64 = 0;
    for (let j = d; j > 0; j--) {
      const cf = <f64>load<f32>(f + (<usize>(j - 1) << 2)) * load<f64>(scale + (<usize>(j - 1) << 3));
      store<f64>(elevated + (<usize>j << 3), sm - <f64>j * cf);
      sm += cf;
    }
    store<f64>(elevated, sm);
    // The nearest remainder-0 point.
    let sum: i32 = 0;
    for (let i = 0; i <= d; i++) {
      const e = load<f64>(elevated + (<usize>i << 3));
      const v = e * invD1;
      const up = Math.ceil(v) * fd1;
      const down = Math.floor(v) * fd1;
      const r0 = <i32>(up - e < e - down ? up : down);
      store<i32>(rem0 + (<usize>i << 2), r0);
      sum += r0;
    }
    sum /= d1;
    // Rank of each coordinate's residual: how many others are larger, ties
    // going to the earlier coordinate (densecrf's pairwise count, counted per
    // coordinate in a register).
    for (let i = 0; i <= d; i++) store<f64>(residual + (<usize>i << 3), load<f64>(elevated + (<usize>i << 3)) - <f64>load<i32>(rem0 + (<usize>i << 2)));
    for (let i = 0; i <= d; i++) {
      const ri = load<f64>(residual + (<usize>i << 3));
      let count = 0;
      for (let j = 0; j < i; j++) count += <i32>(load<f64>(residual + (<usize>j << 3)) >= ri);
      for (let j = i + 1; j <= d; j++) count += <i32>(load<f64>(residual + (<usize>j << 3)) > ri);
      store<i32>(rank + (<usize>i << 2), count);
    }
    // Back onto the plane when the rounding moved off it.
    for (let i = 0; i <= d; i++) {
      let rk = load<i32>(rank + (<usize>i << 2)) + sum;
      let r0 = load<i32>(rem0 + (<usize>i << 2));
      if (rk < 0) {
        rk += d1;
        r0 += d1;
      } else if (rk > d) {
        rk -= d1;
        r0 -= d1;
      }
      store<i32>(rank + (<usize>i << 2), rk);
      store<i32>(rem0 + (<usize>i << 2), r0);
    }
    // Barycentric coordinates (tiny fills and copies as loops: V8 calls out for memory.fill and memory.copy).
    for (let i = 0; i < d + 2; i++) store<f64>(bary + (<usize>i << 3), 0);
    for (let i = 0; i <= d; i++) {
      const v = (load<f64>(elevated + (<usize>i << 3)) - <f64>load<i32>(rem0 + (<usize>i << 2))) * invD1;
      const at = bary + (<usize>(d - load<i32>(rank + (<usize>i << 2))) << 3);
      store<f64>(at, load<f64>(at) + v);
      store<f64>(at + 8, load<f64>(at + 8) - v);
    }
    store<f64>(bary, load<f64>(bary) + 1.0 + load<f64>(bary + (<usize>(d + 1) << 3)));
    // The simplex (rem0 and rank) decides the vertices: in a region of even
    // colour, neighbouring pixels share it and its points need no lookups.
    let same = p > 0;
    for (let i = 0; i <= d && same; i++) {
      same = load<i32>(rem0 + (<usize>i << 2)) == load<i32>(lastRem0 + (<usize>i << 2)) && load<i32>(rank + (<usize>i << 2)) == load<i32>(lastRank + (<usize>i << 2));
    }
    for (let r = 0; r <= d; r++) {
      const k = <usize>(p * d1 + r) << 2;
      if (same) {
        store<i32>(offsets + k, abs<i32>(load<i32>(offsets + k - (<usize>d1 << 2))));
      } else {
        for (let i = 0; i < d; i++) {
          const c = load<i32>(canonical + (<usize>(r * d1 + load<i32>(rank + (<usize>i << 2))) << 2));
          store<i32>(key + (<usize>i << 2), load<i32>(rem0 + (<usize>i << 2)) + c);
        }
        // Points met lately (neighbouring simplices share most vertices) are
        // in a small direct-mapped cache that stays in L1; the hash table
        // (megabytes, a cache miss or two a lookup) serves the rest.
        const hash = hashKey(key);
        const slot = recent + (<usize>(hash & (RECENT - 1))) * recentBytes;
        let hit = load<i32>(slot) >= 0;
        for (let i = 0; i < d && hit; i++) hit = load<i32>(slot + (<usize>(i + 1) << 2)) == load<i32>(key + (<usize>i << 2));
        if (hit) {
          store<i32>(offsets + k, load<i32>(slot) + 1);
        } else {
          const points = hSize;
          const index = findHashed(key, hash, true);
          if (index == -2) return -2;
          store<i32>(slot, index);
          for (let i = 0; i < d; i++) store<i32>(slot + (<usize>(i + 1) << 2), load<i32>(key + (<usize>i << 2)));
          // The vertex that creates a point is marked by a negative offset (see splat).
          store<i32>(offsets + k, hSize > points ? -(index + 1) : index + 1);
        }
      }
      store<f32>(weights + k, <f32>load<f64>(bary + (<usize>r << 3)));
    }
    for (let i = 0; i <= d; i++) {
      store<i32>(lastRem0 + (<usize>i << 2), load<i32>(rem0 + (<usize>i << 2)));
      store<i32>(lastRank + (<usize>i << 2), load<i32>(rank + (<usize>i << 2)));
    }
  }
  return hSize;
}

/** Per axis j and point i, the neighbours' indices + 1 (0 when absent), after buildLattice. */
export function latticeNeighbours(prev: usize, next: usize, scratch: usize): void {
  const d = hD;
  const m = hSize;
  const bytes = <usize>d << 2;
  const n1 = scratch;
  const n2 = scratch + bytes;
  for (let j = 0; j <= d; j++) {
    for (let i = 0; i < m; i++) {
      const k = hKeys + <usize>i * bytes;
      for (let c = 0; c < d; c++) {
        const v = load<i32>(k + (<usize>c << 2));
        store<i32>(n1 + (<usize>c << 2), v - 1);
        store<i32>(n2 + (<usize>c << 2), v + 1);
      }
      // Axis d moves every stored coordinate by -1 / +1 (its own coordinate is implied).
      if (j < d) {
        const v = load<i32>(k + (<usize>j << 2));
        store<i32>(n1 + (<usize>j << 2), v + d);
        store<i32>(n2 + (<usize>j << 2), v - d);
      }
      const o = <usize>(j * m + i) << 2;
      store<i32>(prev + o, find(n1, false) + 1);
      store<i32>(next + o, find(n2, false) + 1);
    }
  }
}
