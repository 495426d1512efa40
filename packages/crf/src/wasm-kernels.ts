/**
 * The WebAssembly side of the CRF (assembly/, compiled into wasm/crf-wasm.ts):
 * the lattice build, splat, blur and slice of the lattice filter, the
 * compatibility transform and the softmax, four labels at a time.
 *
 * Each computation gets its own instance and lays its arrays out in that
 * instance's memory with a bump allocator (`WasmArena`), sized once up front
 * so the typed-array views stay valid. Per-pixel arrays there hold S floats
 * per pixel: the labels rounded up to a multiple of 4.
 */
import { CRF_WASM } from './wasm/crf-wasm.js';

// The few WebAssembly globals used here (@types/node 20 does not declare them).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface Kernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  splat(offsets: number, weights: number, pixels: number, d1: number, input: number, S: number, values: number, points: number): void;
  blur(prev: number, next: number, d1: number, points: number, S: number, a: number, b: number): number;
  sliceAdd(offsets: number, weights: number, pixels: number, d1: number, values: number, S: number, base: number, out: number, coef: number): void;
  matrixAdd(v: number, pixels: number, S: number, labels: number, matrix: number, out: number, coef: number): void;
  softmax(src: number, dst: number, pixels: number, S: number): void;
  scaleWeights(weights: number, scale: number, pixels: number, d1: number, alpha: number, splatOut: number, sliceOut: number): void;
  buildLattice(features: number, d: number, pixels: number, offsets: number, weights: number, keys: number, capacity: number, table: number, tableSize: number, scratch: number): number;
  latticeNeighbours(prev: number, next: number, scratch: number): void;
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
  private readonly end: number;

  /** An instance with room for `bytes` of arrays (each array rounds up to 16 bytes). */
  constructor(bytes: number) {
    compiled ??= new WebAssembly.Module(Buffer.from(CRF_WASM, 'base64'));
    this.k = new WebAssembly.Instance(compiled).exports as unknown as Kernels;
    const need = BASE + bytes;
    if (need > MAX_BYTES) {
      throw new Error(`The CRF needs ${(need / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, over its 4 GiB limit: use a smaller image or fewer labels.`);
    }
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / PAGE));
    this.end = this.k.memory.buffer.byteLength;
  }

  /** Bytes an arena needs for arrays of these float/int counts. */
  static bytes(...counts: number[]): number {
    return counts.reduce((s, n) => s + Math.ceil((n * 4) / 16) * 16, 0);
  }

  /** Address of a fresh array of `count` 4-byte values. */
  alloc(count: number): number {
    const at = this.top;
    this.top += Math.ceil((count * 4) / 16) * 16;
    if (this.top > this.end) throw new Error('WasmArena: allocation past the reserved size (a bug in its caller).');
    return at;
  }

  f32(at: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, count);
  }

  i32(at: number, count: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, at, count);
  }

  /** Copies pixel-major values (`vs` per pixel) into an S-strided array; padding lanes get `pad`. */
  putStrided(at: number, values: ArrayLike<number>, pixels: number, vs: number, S: number, pad = 0): void {
    const dst = this.f32(at, pixels * S);
    if (vs === S) {
      dst.set(values);
      return;
    }
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < vs; c++) dst[p * S + c] = values[p * vs + c]!;
      for (let c = vs; c < S; c++) dst[p * S + c] = pad;
    }
  }

  /** The first `vs` lanes of each pixel of an S-strided array, into `out`. */
  getStrided(at: number, out: Float32Array, pixels: number, vs: number, S: number): Float32Array {
    const src = this.f32(at, pixels * S);
    if (vs === S) {
      out.set(src);
      return out;
    }
    for (let p = 0; p < pixels; p++) for (let c = 0; c < vs; c++) out[p * vs + c] = src[p * S + c]!;
    return out;
  }
}

/** A lattice as the kernels read it: addresses of its arrays in an arena. */
export interface LatticeInArena {
  pixels: number;
  d1: number;
  points: number;
  offsets: number;
  splatWeights: number;
  sliceWeights: number;
  prev: number;
  next: number;
}

/** What a lattice hands to the kernels. */
export interface LatticeArrays {
  pixels: number;
  dims: number;
  points: number;
  /** Per pixel and simplex vertex: point index + 1 (0: the zero row). */
  offsets: Int32Array;
  /** Barycentric weights, per pixel and vertex. */
  weights: Float32Array;
  /** Per axis and point: neighbour index + 1 along the axis (0: absent). */
  prev: Int32Array;
  next: Int32Array;
}

/** Floats and ints a lattice takes in an arena. */
export function latticeCounts(l: LatticeArrays): number[] {
  const k = l.pixels * (l.dims + 1);
  const a = l.points * (l.dims + 1);
  return [k, k, k, a, a, l.pixels];
}

/**
 * Copies a lattice into an arena. Splat weights are the barycentric ones
 * times `scale[p]`, slice weights those times 1 / (1 + 2^-d) and `scale[p]`:
 * the symmetric normalisation n L(n Q) folded into the filter.
 */
export function latticeIntoArena(arena: WasmArena, l: LatticeArrays, scale?: Float32Array): LatticeInArena {
  const d1 = l.dims + 1;
  const alpha = 1 / (1 + Math.pow(2, -l.dims));
  const k = l.pixels * d1;
  const at: LatticeInArena = {
    pixels: l.pixels,
    d1,
    points: l.points,
    offsets: arena.alloc(k),
    splatWeights: arena.alloc(k),
    sliceWeights: arena.alloc(k),
    prev: arena.alloc(l.points * d1),
    next: arena.alloc(l.points * d1),
  };
  arena.i32(at.offsets, k).set(l.offsets);
  arena.i32(at.prev, l.points * d1).set(l.prev);
  arena.i32(at.next, l.points * d1).set(l.next);
  // The barycentric weights go to the slice array first, then both are scaled in place.
  arena.f32(at.sliceWeights, k).set(l.weights);
  let scaleAt = 0;
  if (scale) arena.f32((scaleAt = arena.alloc(l.pixels)), l.pixels).set(scale);
  arena.k.scaleWeights(at.sliceWeights, scaleAt, l.pixels, d1, alpha, at.splatWeights, at.sliceWeights);
  return at;
}

/**
 * out = base + coef * L(input) on S-strided arrays (base defaults to out: accumulate);
 * a, b: lattice value scratch, (points + 1) x S floats each.
 */
export function filterInto(arena: WasmArena, l: LatticeInArena, input: number, S: number, a: number, b: number, out: number, coef: number, base = out): void {
  const k = arena.k;
  k.splat(l.offsets, l.splatWeights, l.pixels, l.d1, input, S, a, l.points);
  const values = k.blur(l.prev, l.next, l.d1, l.points, S, a, b);
  k.sliceAdd(l.offsets, l.sliceWeights, l.pixels, l.d1, values, S, base, out, coef);
}

/** L(input) for `vs` values per pixel (pixel-major), in a throwaway arena. */
export function filterOnce(l: LatticeArrays, input: Float32Array, vs: number, out: Float32Array): Float32Array {
  const S = laneStride(vs);
  const n = l.pixels;
  const arena = new WasmArena(WasmArena.bytes(...latticeCounts(l), n * S, n * S, (l.points + 1) * S, (l.points + 1) * S));
  const lat = latticeIntoArena(arena, l);
  const inp = arena.alloc(n * S);
  const res = arena.alloc(n * S);
  const a = arena.alloc((l.points + 1) * S);
  const b = arena.alloc((l.points + 1) * S);
  arena.putStrided(inp, input, n, vs, S);
  filterInto(arena, lat, inp, S, a, b, res, 1);
  return arena.getStrided(res, out, n, vs, S);
}
