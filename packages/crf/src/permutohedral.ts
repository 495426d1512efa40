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
 * filtering run in WebAssembly (assembly/, called through wasm-kernels.ts).
 */
import { filterOnce, WasmArena, type LatticeArrays } from './wasm-kernels.js';

/** Feature dimensions the lattice takes (the scratch space of the WebAssembly build). */
const MAX_DIMS = 16;

export class PermutohedralLattice {
  /** Lattice points touched by the pixels. */
  readonly points: number;
  /** Per pixel and simplex vertex: lattice point index + 1 (0 is an always-zero slot). */
  private readonly offsets: Int32Array;
  private readonly weights: Float32Array;
  /** Per axis and lattice point: neighbour indices + 1 along the axis (0 = absent). */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;

  /**
   * @param features pixel-major, `dims` values per pixel (already divided by their bandwidths)
   */
  constructor(
    features: Float32Array | Float64Array,
    readonly dims: number,
    readonly pixels: number,
  ) {
    if (features.length !== dims * pixels) {
      throw new Error(`Lattice features hold ${features.length} values, not ${pixels} pixels x ${dims} dimensions.`);
    }
    if (!Number.isInteger(dims) || dims < 1 || dims > MAX_DIMS) throw new Error(`Lattice features must have 1 to ${MAX_DIMS} dimensions (got ${dims}).`);
    const d1 = dims + 1;
    // Points are at most pixels x (d + 1); real images touch far fewer, so start
    // from 2 per pixel and retry with more room in the rare case that is short.
    for (let capacity = Math.min(pixels * d1, Math.max(16, 2 * pixels)); ; capacity = Math.min(pixels * d1, capacity * 2)) {
      let tableSize = 1024;
      while (tableSize < 2 * capacity) tableSize *= 2;
      const n = pixels * d1;
      const arena = new WasmArena(WasmArena.bytes(pixels * dims, n, n, capacity * dims, tableSize, 1024, capacity * d1, capacity * d1));
      const at = { features: arena.alloc(pixels * dims), offsets: arena.alloc(n), weights: arena.alloc(n), keys: arena.alloc(capacity * dims), table: arena.alloc(tableSize), scratch: arena.alloc(1024) };
      arena.f32(at.features, pixels * dims).set(features);
      const points = arena.k.buildLattice(at.features, dims, pixels, at.offsets, at.weights, at.keys, capacity, at.table, tableSize, at.scratch);
      if (points === -2) continue;
      const prev = arena.alloc(points * d1);
      const next = arena.alloc(points * d1);
      arena.k.latticeNeighbours(prev, next, at.scratch);
      this.points = points;
      this.offsets = arena.i32(at.offsets, n).slice();
      this.weights = arena.f32(at.weights, n).slice();
      this.prev = arena.i32(prev, points * d1).slice();
      this.next = arena.i32(next, points * d1).slice();
      break;
    }
  }

  /** The arrays the WebAssembly kernels read. */
  arrays(): LatticeArrays {
    return { pixels: this.pixels, dims: this.dims, points: this.points, offsets: this.offsets, weights: this.weights, prev: this.prev, next: this.next };
  }

  /** out = L(input): `valueSize` values per pixel, pixel-major. `out` may be `input`. */
  filter(input: Float32Array, valueSize: number, out: Float32Array = new Float32Array(input.length)): Float32Array {
    const n = this.pixels;
    const vs = valueSize;
    if (input.length !== n * vs || out.length !== n * vs) {
      throw new Error(`Lattice filter: expected ${n} pixels x ${vs} values, got ${input.length} in and ${out.length} out.`);
    }
    return filterOnce(this.arrays(), input, vs, out);
  }
}
