/**
 * Gaussian filtering on the permutohedral lattice (Adams, Baek, Davis,
 * "Fast high-dimensional filtering using the permutohedral lattice",
 * Eurographics 2010), computed the way densecrf v2 (Krähenbühl; the code
 * under pydensecrf) computes it, so that a CRF built on it gives the same
 * marginals:
 * - feature i of d is scaled by sqrt(2/3) (d+1) / sqrt((i+1)(i+2)) and
 *   elevated to d+1 coordinates on the plane sum = 0;
 * - each pixel splats onto the d+1 vertices of its enclosing simplex with
 *   barycentric weights;
 * - one blur pass per lattice axis: v <- v + 0.5 (v_prev + v_next);
 * - slicing reads back with the same weights times 1 / (1 + 2^-d).
 * The filter includes each pixel's own contribution. Cost is linear in the
 * number of pixels (and in the lattice points they touch). Building and
 * filtering run in WebAssembly (assembly/, called through wasm-kernels.ts),
 * the lattice living in the memory of the arena it is built in.
 */
import { filterInto, laneStride, sliceFactor, WasmArena, type LatticeInArena } from './wasm-kernels.js';

/** Feature dimensions the lattice takes (the scratch space of the WebAssembly build). */
const MAX_DIMS = 16;

/**
 * How a lattice is laid out in memory (the defaults, 'auto', suit every use;
 * the choices exist so tests can show they all filter alike, bit for bit).
 * neighbours: found by merging sorted packed keys when they fit 63 bits
 * ('auto'), else, or always with 'hash', by one hash lookup per neighbour. order: the blur runs over the points in the order their keys
 * sort in ('key') or in the order pixels first touched them ('first-touch',
 * which splat and slice always use). In key order the first pass reads and
 * the last writes in first-touch order, at scattered places, and the d - 1
 * passes between gain. 'auto' takes key order when there are at least two
 * such passes (d > 2) and neighbours lie closer in key order (summed over
 * points and axes). A lattice on position alone is touched row by row, so
 * first touch keeps its neighbours close; with colour dimensions they end up
 * image rows apart. Measured on DeepLab's kernels at 500x375 (blur per
 * iteration): bilateral 27-31 ms in first-touch order, 9-12 in key order;
 * Gaussian 8-10 in first-touch order, 17-21 in key order.
 */
export interface LatticeLayout {
  neighbours?: 'auto' | 'hash';
  order?: 'auto' | 'key' | 'first-touch';
}

export class PermutohedralLattice {
  /** Lattice points touched by the pixels. */
  readonly points: number;
  /** Its arrays in `arena`. */
  readonly at: LatticeInArena;
  /** How the blur's neighbours were found (see LatticeLayout). */
  readonly neighbourSearch: 'merge' | 'hash';

  /**
   * @param features pixel-major, `dims` values per pixel (already divided by their bandwidths)
   * @param arena where to build it (a DenseCRF passes its own); a fresh one by default
   */
  constructor(
    features: Float32Array | Float64Array,
    readonly dims: number,
    readonly pixels: number,
    readonly arena: WasmArena = new WasmArena(),
    layout: LatticeLayout = {},
  ) {
    if (features.length !== dims * pixels) {
      throw new Error(`Lattice features hold ${features.length} values, not ${pixels} pixels x ${dims} dimensions.`);
    }
    if (!Number.isInteger(dims) || dims < 1 || dims > MAX_DIMS) throw new Error(`Lattice features must have 1 to ${MAX_DIMS} dimensions (got ${dims}).`);
    const d1 = dims + 1;
    const offsets = arena.alloc(pixels * d1);
    const weights = arena.alloc(pixels * d1);
    const scratchFrom = arena.mark();
    const { points, keys, scratch } = splatPositions(arena, features, dims, pixels, offsets, weights);
    const lists = blurNeighbours(arena, keys, points, dims, scratch, layout);
    // Keep the neighbour lists (and key order) and hand the build's scratch space back.
    arena.release(scratchFrom);
    const keep = (from: number, count: number) => {
      arena.move(from, arena.mark(), count);
      return arena.alloc(count);
    };
    const prev = keep(lists.prev, points * d1);
    const next = keep(lists.next, points * d1);
    const perm = lists.keyOrder ? keep(lists.sorted, points) : 0;
    // How far the blur's wavefront passes reach (see assembly/lattice-filter.ts): all axes, or those between the first and the last.
    const reach = perm ? arena.k.neighbourReach(prev + points * 4, next + points * 4, points, d1 - 2) : arena.k.neighbourReach(prev, next, points, d1);
    this.points = points;
    this.at = { pixels, d1, points, offsets, weights, prev, next, perm, reach };
    this.neighbourSearch = lists.search;
  }

  /** out = L(input): `valueSize` values per pixel, pixel-major. `out` may be `input`. */
  filter(input: Float32Array, valueSize: number, out: Float32Array = new Float32Array(input.length)): Float32Array {
    const n = this.pixels;
    const vs = valueSize;
    if (input.length !== n * vs || out.length !== n * vs) {
      throw new Error(`Lattice filter: expected ${n} pixels x ${vs} values, got ${input.length} in and ${out.length} out.`);
    }
    const { arena } = this;
    const mark = arena.mark();
    const S = laneStride(vs);
    const inp = arena.putStrided(input, n, vs, S);
    const res = arena.alloc(n * S);
    arena.f32(res, n * S).fill(0);
    const { a, b } = this.valueScratch(S);
    filterInto(arena, this.at, this.at.weights, inp, S, a, b, res, sliceFactor(this.at.d1));
    arena.getStrided(res, out, n, vs, S);
    arena.release(mark);
    return out;
  }

  /** Two lattice-value arrays of S lanes (the always-zero row included) for filterInto. */
  valueScratch(S: number): { a: number; b: number } {
    return { a: this.arena.alloc((this.points + 1) * S), b: this.arena.alloc((this.points + 1) * S) };
  }
}

/**
 * Each pixel's enclosing simplex (point indices into `offsets`, barycentric
 * weights into `weights`) and the points' keys, in scratch space of the arena.
 */
function splatPositions(arena: WasmArena, features: Float32Array | Float64Array, dims: number, pixels: number, offsets: number, weights: number) {
  const n = pixels * (dims + 1);
  const from = arena.mark();
  // Points are at most pixels x (d + 1); real images touch far fewer, so start
  // from 2 per pixel and retry with more room in the rare case that is short.
  for (let capacity = Math.min(n, Math.max(16, 2 * pixels)); ; capacity = Math.min(n, capacity * 2)) {
    arena.release(from);
    let tableSize = 1024;
    while (tableSize < 2 * capacity) tableSize *= 2;
    const at = { features: arena.alloc(pixels * dims), keys: arena.alloc(capacity * dims), table: arena.alloc(tableSize), scratch: arena.alloc(6144) };
    arena.f32(at.features, pixels * dims).set(features);
    const points = arena.k.buildLattice(at.features, dims, pixels, offsets, weights, at.keys, capacity, at.table, tableSize, at.scratch);
    if (points !== -2) return { points, keys: at.keys, scratch: at.scratch };
  }
}

/**
 * The blur's neighbour lists (prev, next: per axis and point, neighbour
 * index + 1 or 0), laid out as `layout` and blur() describe, in
 * scratch space of the arena; `sorted` (key position -> point) when the blur
 * runs in key order. Right after splatPositions (the hash lookups use the
 * build's table).
 */
function blurNeighbours(arena: WasmArena, keys: number, points: number, dims: number, scratch: number, layout: LatticeLayout) {
  const d1 = dims + 1;
  const k = arena.k;
  const prev = arena.alloc(points * d1);
  const next = arena.alloc(points * d1);
  const origin = arena.alloc(dims);
  const bits = layout.neighbours === 'hash' ? 0 : k.packedBits(keys, points, dims, origin);
  if (bits === 0) {
    k.latticeNeighbours(prev, next, scratch);
    return { prev, next, sorted: 0, keyOrder: false, search: 'hash' as const };
  }
  const codes = arena.alloc(2 * points);
  const sorted = arena.alloc(points);
  k.sortPacked(keys, points, dims, origin, bits, codes, sorted, arena.alloc(2 * points), arena.alloc(points), arena.alloc(256));
  k.mergeNeighbours(codes, points, dims, bits, prev, next);
  const order = layout.order ?? 'auto';
  const keyOrder = order === 'key' || (order === 'auto' && dims > 2 && k.neighbourSpread(prev, next, points, d1, 0) < k.neighbourSpread(prev, next, points, d1, sorted));
  // The lists come in key order. In key order only axis 0 (the first pass) reads in first-touch numbering.
  const tmp = arena.alloc(points);
  for (const list of [prev, next]) {
    if (keyOrder) {
      k.renumberNeighbours(list, points, sorted);
    } else {
      k.renumberNeighbours(list, points * d1, sorted);
      for (let j = 0; j < d1; j++) k.reindexNeighbours(list + j * points * 4, points, sorted, tmp);
    }
  }
  return { prev, next, sorted, keyOrder, search: 'merge' as const };
}
