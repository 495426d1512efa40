/**
 * Running out of memory, on every engine, as one sentence. Each engine fails
 * its own way: wasm's XNNPACK reports xnn_status_out_of_memory (status 6) on
 * stderr and then spins on the operator it could not create, so the wasm
 * module's stderr hook throws WasmOutOfMemory at that line; a failed heap
 * growth surfaces as "memory access out of bounds" or Emscripten's
 * "Aborted(OOM)"; TensorFlow says "OOM when allocating"; V8 cannot allocate
 * an ArrayBuffer. `isOutOfMemory` recognises them all and `outOfMemory` says
 * what did not fit and what to change.
 */
import os from 'node:os';
import { OutOfMemory } from '../errors/input-error.js';
import { tf } from './tf.js';

/** Thrown from the wasm module's stderr hook when XNNPACK could not allocate. */
export class WasmOutOfMemory extends Error {}

const PATTERNS = [
  /memory access out of bounds/i,
  /Aborted\(OOM\)/,
  /Cannot enlarge memory/i,
  /could not allocate memory/i,
  /WebAssembly\.Memory/,
  /OOM when allocating/,
  /std::bad_alloc/,
  /Array buffer allocation failed/,
  /Invalid typed array length/,
  /Invalid array length/,
  /out of memory/i,
];

export function isOutOfMemory(err: unknown): boolean {
  if (err instanceof OutOfMemory || err instanceof WasmOutOfMemory) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return PATTERNS.some((p) => p.test(msg));
}

const GIB = 2 ** 30;

/** Where tensors live on the active engine, for the sentence. */
function memoryPlace(): string {
  const backend = tf.getBackend();
  if (backend === 'wasm') return "the wasm engine's 4 GiB heap";
  const total = `${(os.totalmem() / GIB).toFixed(0)} GiB`;
  if (backend === 'tensorflow') return `the tensorflow engine's memory (this machine has ${total})`;
  return `this process's memory (this machine has ${total})`;
}

/**
 * The OutOfMemory error for `err` when it is one (else `err` itself):
 * "Out of memory: <what> does not fit in <place>; <fix>."
 */
export function asOutOfMemory(err: unknown, what: string, fix: string): unknown {
  if (!isOutOfMemory(err) || (err instanceof OutOfMemory && /^Out of memory/.test(err.message))) return err;
  const other = tf.getBackend() === 'wasm' ? ', or the tensorflow engine (SEG_BACKEND=tensorflow)' : '';
  return new OutOfMemory(`Out of memory: ${what} does not fit in ${memoryPlace()}; ${fix}${other}.`);
}
