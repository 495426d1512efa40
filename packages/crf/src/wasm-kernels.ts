/**
 * The WebAssembly side of the CRF (assembly/, compiled into wasm/crf-wasm.ts):
 * the lattice build, splat, blur and slice of the lattice filter, the
 * unary's logarithms, the compatibility transform and the softmax, four
 * labels at a time.
 *
 * A DenseCRF (or a lattice used alone) owns one instance and lays its arrays
 * out in that instance's memory with a bump allocator (`WasmArena`) that
 * grows the memory as needed; scratch space is taken and handed back with
 * mark/release, so a CRF's lattices, weights and unary are written where
 * the kernels read them, and nothing is copied per inference. Typed-array views are made
 * fresh for each use (growing the memory detaches earlier ones). Per-pixel
 * arrays there hold S floats per pixel: the labels rounded up to a multiple of 4.
 */
import { CRF_WASM } from './wasm/crf-wasm.js';

// The few WebAssembly globals used here (@types/node 20 does not declare them).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface Kernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  splat(offsets: number, weights: number, pixels: number, d1: number, input: number, S: number, values: number): void;
  blur(prev: number, next: number, d1: number, points: number, S: number, a: number, b: number, perm: number, reach: number): number;
  sliceAdd(offsets: number, weights: number, pixels: number, d1: number, values: number, S: number, base: number, out: number, coef: number, normalise: boolean): void;
  matrixAdd(v: number, pixels: number, S: number, labels: number, matrix: number, out: number, coef: number): void;
  softmax(src: number, dst: number, pixels: number, S: number): void;
  scaleWeights(weights: number, scale: number, pixels: number, d1: number, out: number): void;
  inverseSqrt(filtered: number, pixels: number, S: number, scale: number): void;
  buildLattice(features: number, d: number, pixels: number, offsets: number, weights: number, keys: number, capacity: number, table: number, tableSize: number, scratch: number): number;
  latticeNeighbours(prev: number, next: number, scratch: number): void;
  packedBits(keys: number, m: number, d: number, origin: number): number;
  sortPacked(keys: number, m: number, d: number, origin: number, bits: number, codes: number, order: number, tmpCodes: number, tmpOrder: number, counts: number): void;
  mergeNeighbours(codes: number, m: number, d: number, bits: number, prev: number, next: number): void;
  neighbourSpread(prev: number, next: number, m: number, d1: number, order: number): number;
  renumberNeighbours(list: number, count: number, order: number): void;
  reindexNeighbours(list: number, m: number, order: number, tmp: number): void;
  neighbourReach(prev: number, next: number, m: number, d1: number): number;
  logProbabilities(values: number, count: number, clip: number): number;
  toStrided(src: number, pixels: number, vs: number, S: number, scale: number, pad: number, dst: number): void;
  fromStrided(src: number, pixels: number, vs: number, S: number, dst: number): void;
  argmax(src: number, pixels: number, labels: number, S: number, out: number, bytes: number): void;
}

let compiled: object | undefined;

/** Labels rounded up to a whole number of f32x4 lanes. */
export function laneStride(labels: number): number {
  return Math.ceil(labels / 4) * 4;
}

/** Where this module's static data ends and our arrays may start. */
const BASE = 65536;
const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;

export class WasmArena {
  readonly k: Kernels;
  private top = BASE;

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(CRF_WASM, 'base64'));
    this.k = new WebAssembly.Instance(compiled).exports as unknown as Kernels;
  }

  /** Address of a fresh array of `count` 4-byte values (16-byte aligned), growing the memory when needed. */
  alloc(count: number): number {
    const at = this.top;
    const end = at + Math.ceil((count * 4) / 16) * 16;
    if (end > MAX_BYTES) {
      throw new Error(`The CRF needs ${(end / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, over its 4 GiB limit: use a smaller image or fewer labels.`);
    }
    const have = this.k.memory.buffer.byteLength;
    // Grow by at least a quarter of what is there, so many small steps stay few.
    if (end > have) this.k.memory.grow(Math.min(Math.max(Math.ceil((end - have) / PAGE), Math.ceil(have / 4 / PAGE)), (MAX_BYTES - have) / PAGE));
    this.top = end;
    return at;
  }

  /** Where the next allocation starts; `release(mark)` frees everything allocated since. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /** Moves `count` 4-byte values from `from` to `to` (the regions may overlap). */
  move(from: number, to: number, count: number): void {
    new Uint8Array(this.k.memory.buffer).copyWithin(to, from, from + count * 4);
  }

  f32(at: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, count);
  }

  /**
   * An S-strided array (a fresh one, or `into`) holding scale * values (`vs`
   * per pixel), padding lanes `pad`. `prepare` may rewrite the values where
   * they wait in the arena (`src`, `count` floats, then 1s to a whole row)
   * or throw, which leaves `into` as it was.
   */
  putStrided(
    values: ArrayLike<number>,
    pixels: number,
    vs: number,
    S: number,
    o: { scale?: number; pad?: number; into?: number; prepare?: (src: number, count: number) => void } = {},
  ): number {
    const dst = o.into ?? this.alloc(pixels * S);
    const mark = this.mark();
    try {
      const count = pixels * vs;
      // Room for the S - vs floats toStrided reads past the last pixel.
      const src = this.alloc(count + S);
      const view = this.f32(src, count + S);
      view.set(values);
      view.fill(1, count);
      o.prepare?.(src, count);
      this.k.toStrided(src, pixels, vs, S, o.scale ?? 1, o.pad ?? 0, dst);
    } finally {
      this.release(mark);
    }
    return dst;
  }

  /** The first `vs` lanes of each pixel of an S-strided array, into `out`. */
  getStrided(at: number, out: Float32Array, pixels: number, vs: number, S: number): Float32Array {
    const mark = this.mark();
    const dst = this.alloc(pixels * vs + S);
    this.k.fromStrided(at, pixels, vs, S, dst);
    out.set(this.f32(dst, pixels * vs));
    this.release(mark);
    return out;
  }
}

/** A lattice's arrays in its arena (addresses), as the kernels read them. */
export interface LatticeInArena {
  pixels: number;
  d1: number;
  points: number;
  /** Per pixel and simplex vertex: point index + 1, negated where the vertex created the point (see splat). */
  offsets: number;
  /** Barycentric weights, per pixel and vertex. */
  weights: number;
  /** Per axis and point: neighbour index + 1 along the axis (0: absent); laid out for `perm` as the blur says. */
  prev: number;
  next: number;
  /** Key order -> the splat's point numbering, for a blur that runs in key order; 0: the blur runs in the splat's. */
  perm: number;
  /** The largest distance (in points) between a point and a neighbour, along the axes whose blur passes run as a wavefront. */
  reach: number;
}

/**
 * out = base + coef * sum over vertices of w L'(w * input) on S-strided
 * arrays (base defaults to out: accumulate), with `weights` (per pixel and
 * vertex) used to splat and to slice; a, b:
 * lattice value scratch, (points + 1) x S floats each.
 */
export function filterInto(arena: WasmArena, l: LatticeInArena, weights: number, input: number, S: number, a: number, b: number, out: number, coef: number, base = out): void {
  const k = arena.k;
  k.splat(l.offsets, weights, l.pixels, l.d1, input, S, a);
  const values = k.blur(l.prev, l.next, l.d1, l.points, S, a, b, l.perm, l.reach);
  k.sliceAdd(l.offsets, weights, l.pixels, l.d1, values, S, base, out, coef, false);
}

/** The slicing factor 1 / (1 + 2^-d) of a d-dimensional lattice. */
export function sliceFactor(d1: number): number {
  return 1 / (1 + Math.pow(2, -(d1 - 1)));
}
