/**
 * Worker threads for the lattice filter: the value channels are split
 * between the calling thread and the workers, which share every array
 * (SharedArrayBuffer) and signal completion through Atomics, so filtering
 * stays synchronous for the caller. Workers are unref'd: they never keep a
 * process alive. The thread count is SEG_THREADS, or the machine's
 * available parallelism, or setCrfThreads(n).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compileKernel, MAX_CHUNK, type ChannelKernel } from './filter-kernel.js';

/** Splat, blur and slice of channels [k0, k1) in chunks of at most `chunk` channels; values: (points + 1) x chunk floats each. */
function filterChannels(
  kernels: Map<number, ChannelKernel>,
  compile: (ks: number) => ChannelKernel,
  chunk: number,
  l: SharedLattice,
  input: Float32Array,
  valuesA: Float32Array,
  valuesB: Float32Array,
  out: Float32Array,
  vs: number,
  k0: number,
  k1: number,
): void {
  for (let c = k0; c < k1; c += chunk) {
    const ks = Math.min(chunk, k1 - c);
    let kernel = kernels.get(ks);
    if (!kernel) kernels.set(ks, (kernel = compile(ks)));
    kernel(l.offsets, l.weights, l.prev, l.next, l.pixels, l.dims, l.points, input, valuesA, valuesB, out, vs, c);
  }
}

// __name: some TypeScript runners (tsx, esbuild's keepNames) wrap inner functions in it.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const __name = (f) => f;
const compileKernel = ${compileKernel.toString()};
const filterChannels = ${filterChannels.toString()};
const kernels = new Map();
let a = new Float32Array(0);
let b = new Float32Array(0);
parentPort.on('message', (m) => {
  try {
    const need = (m.lattice.points + 1) * Math.min(${MAX_CHUNK}, m.k1 - m.k0);
    if (a.length < need) {
      a = new Float32Array(need);
      b = new Float32Array(need);
    }
    filterChannels(kernels, compileKernel, ${MAX_CHUNK}, m.lattice, m.input, a, b, m.out, m.vs, m.k0, m.k1);
    Atomics.store(m.flag, m.slot, 1);
  } catch (err) {
    Atomics.store(m.flag, m.slot, 2);
  }
  Atomics.notify(m.flag, m.slot);
});
`;
const kernels = new Map<number, ChannelKernel>();

let requested: number | undefined;
const pool: Worker[] = [];
let flag: Int32Array | undefined;

/** Threads the CRF uses (1 = no workers). */
export function crfThreads(): number {
  const env = Number(process.env.SEG_THREADS);
  const n = requested ?? (Number.isInteger(env) && env > 0 ? env : os.availableParallelism());
  return Math.max(1, Math.min(n, 16));
}

/** Sets the number of threads the CRF uses from now on. */
export function setCrfThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setCrfThreads: the thread count must be a positive integer (got ${n}).`);
  requested = n;
}

function workers(count: number): Worker[] {
  while (pool.length < count) {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    pool.push(w);
  }
  if (!flag) flag = new Int32Array(new SharedArrayBuffer(16 * 4));
  return pool.slice(0, count);
}

export interface SharedLattice {
  offsets: Int32Array;
  weights: Float32Array;
  prev: Int32Array;
  next: Int32Array;
  pixels: number;
  dims: number;
  points: number;
}

/**
 * Filters the channels of `input` into `out` (both shared, or both plain when
 * single-threaded). valuesA/B: this thread's lattice values, at least
 * (points + 1) x min(vs, MAX_CHUNK) floats.
 */
export function filterShared(l: SharedLattice, input: Float32Array, valuesA: Float32Array, valuesB: Float32Array, out: Float32Array, vs: number): void {
  const threads = Math.min(crfThreads(), vs);
  const shared = input.buffer instanceof SharedArrayBuffer && out.buffer instanceof SharedArrayBuffer && l.offsets.buffer instanceof SharedArrayBuffer;
  if (threads === 1 || !shared) {
    filterChannels(kernels, compileKernel, MAX_CHUNK, l, input, valuesA, valuesB, out, vs, 0, vs);
    return;
  }
  const helpers = workers(threads - 1);
  const f = flag!;
  const bound = (t: number) => Math.round((vs * t) / threads);
  helpers.forEach((w, i) => {
    Atomics.store(f, i, 0);
    w.postMessage({ lattice: l, input, out, vs, k0: bound(i + 1), k1: bound(i + 2), flag: f, slot: i });
  });
  filterChannels(kernels, compileKernel, MAX_CHUNK, l, input, valuesA, valuesB, out, vs, 0, bound(1));
  helpers.forEach((_, i) => {
    while (Atomics.load(f, i) === 0) Atomics.wait(f, i, 0, 1000);
    if (Atomics.load(f, i) === 2) throw new Error('A CRF filter worker failed; set SEG_THREADS=1 to filter on one thread.');
  });
}

/** A Float32Array on shared memory (plain when single-threaded). */
export function sharedFloat32(length: number): Float32Array {
  return crfThreads() > 1 ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

export function sharedInt32(length: number): Int32Array {
  return crfThreads() > 1 ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
}
