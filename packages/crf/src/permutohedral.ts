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
 * number of pixels (and in the lattice points they touch).
 */
import { LatticeHash } from './lattice-hash.js';
import { MAX_CHUNK } from './filter-kernel.js';
import { crfThreads, filterShared, sharedFloat32, sharedInt32, type SharedLattice } from './filter-threads.js';

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
    const d = dims;
    const d1 = d + 1;
    const scale = new Float64Array(d);
    const invStdDev = Math.sqrt(2 / 3) * d1;
    for (let i = 0; i < d; i++) scale[i] = invStdDev / Math.sqrt((i + 1) * (i + 2));
    // canonical[r * d1 + i]: coordinate i of the remainder-r vertex of the canonical simplex.
    const canonical = new Int32Array(d1 * d1);
    for (let r = 0; r <= d; r++) {
      for (let i = 0; i <= d - r; i++) canonical[r * d1 + i] = r;
      for (let i = d - r + 1; i <= d; i++) canonical[r * d1 + i] = r - d1;
    }
    const elevated = new Float64Array(d1);
    const rem0 = new Int32Array(d1);
    const rank = new Int32Array(d1);
    const bary = new Float64Array(d + 2);
    const key = new Int32Array(d1);
    const hash = new LatticeHash(d, pixels * 2);
    // Shared memory when worker threads will filter (see filter-threads.ts).
    this.offsets = sharedInt32(pixels * d1);
    this.weights = sharedFloat32(pixels * d1);

    for (let p = 0; p < pixels; p++) {
      const f = p * d;
      // Elevate onto the hyperplane (sum of coordinates 0).
      let sm = 0;
      for (let j = d; j > 0; j--) {
        const cf = features[f + j - 1]! * scale[j - 1]!;
        elevated[j] = sm - j * cf;
        sm += cf;
      }
      elevated[0] = sm;
      // The nearest remainder-0 point: round each coordinate to a multiple of d+1.
      let sum = 0;
      for (let i = 0; i <= d; i++) {
        const v = elevated[i]! / d1;
        const up = Math.ceil(v) * d1;
        const down = Math.floor(v) * d1;
        rem0[i] = up - elevated[i]! < elevated[i]! - down ? up : down;
        sum += rem0[i]!;
      }
      sum /= d1;
      // Rank of each coordinate's residual: which simplex holds the point.
      rank.fill(0);
      for (let i = 0; i < d; i++) {
        const di = elevated[i]! - rem0[i]!;
        for (let j = i + 1; j <= d; j++) {
          if (di < elevated[j]! - rem0[j]!) rank[i]++;
          else rank[j]++;
        }
      }
      // Back onto the plane when the rounding moved off it.
      for (let i = 0; i <= d; i++) {
        rank[i] += sum;
        if (rank[i]! < 0) {
          rank[i] += d1;
          rem0[i] += d1;
        } else if (rank[i]! > d) {
          rank[i] -= d1;
          rem0[i] -= d1;
        }
      }
      // Barycentric coordinates (Adams et al., p. 10).
      bary.fill(0);
      for (let i = 0; i <= d; i++) {
        const v = (elevated[i]! - rem0[i]!) / d1;
        bary[d - rank[i]!] += v;
        bary[d - rank[i]! + 1] -= v;
      }
      bary[0] += 1 + bary[d + 1]!;
      for (let r = 0; r <= d; r++) {
        for (let i = 0; i < d; i++) key[i] = rem0[i]! + canonical[r * d1 + rank[i]!]!;
        this.offsets[p * d1 + r] = hash.find(key, true) + 1;
        this.weights[p * d1 + r] = bary[r]!;
      }
    }

    const m = hash.size;
    this.points = m;
    this.prev = sharedInt32(d1 * m);
    this.next = sharedInt32(d1 * m);
    const n1 = new Int32Array(d1);
    const n2 = new Int32Array(d1);
    for (let j = 0; j <= d; j++) {
      for (let i = 0; i < m; i++) {
        const k = hash.key(i);
        for (let c = 0; c < d; c++) {
          n1[c] = k[c]! - 1;
          n2[c] = k[c]! + 1;
        }
        // Axis d moves every stored coordinate by -1 / +1 (its own coordinate is implied).
        if (j < d) {
          n1[j] = k[j]! + d;
          n2[j] = k[j]! - d;
        }
        this.prev[j * m + i] = hash.find(n1, false) + 1;
        this.next[j * m + i] = hash.find(n2, false) + 1;
      }
    }
  }

  /**
   * out = L(input): `valueSize` values per pixel, pixel-major. `out` may be
   * `input`. Value channels are split across threads (filter-threads.ts);
   * scratch buffers are reused across calls of the same value size.
   */
  filter(input: Float32Array, valueSize: number, out: Float32Array = new Float32Array(input.length)): Float32Array {
    const n = this.pixels;
    const vs = valueSize;
    if (input.length !== n * vs || out.length !== n * vs) {
      throw new Error(`Lattice filter: expected ${n} pixels x ${vs} values, got ${input.length} in and ${out.length} out.`);
    }
    const lattice: SharedLattice = { offsets: this.offsets, weights: this.weights, prev: this.prev, next: this.next, pixels: n, dims: this.dims, points: this.points };
    // This thread's lattice values (never shared: workers keep their own).
    const a = this.scratch(0, (this.points + 1) * Math.min(vs, MAX_CHUNK), false);
    const b = this.scratch(1, (this.points + 1) * Math.min(vs, MAX_CHUNK), false);
    const threaded = crfThreads() > 1 && this.offsets.buffer instanceof SharedArrayBuffer;
    const isShared = (x: Float32Array) => x.buffer instanceof SharedArrayBuffer;
    if (!threaded || (isShared(input) && isShared(out))) {
      filterShared(lattice, input, a, b, out, vs);
      return out;
    }
    // Plain arrays from the caller: go through shared copies.
    const sharedIn = this.scratch(2, n * vs, true);
    sharedIn.set(input);
    filterShared(lattice, sharedIn, a, b, sharedIn, vs);
    out.set(sharedIn);
    return out;
  }

  private buffers: Float32Array[] = [];
  /** A buffer reused across calls of the same size; `shared` when worker threads read it. */
  private scratch(slot: number, length: number, shared: boolean): Float32Array {
    const b = this.buffers[slot];
    if (b && b.length === length) return b;
    return (this.buffers[slot] = shared ? sharedFloat32(length) : new Float32Array(length));
  }
}
