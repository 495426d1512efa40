/**
 * The wasm engine: tfjs's wasm backend (XNNPACK), multi-threaded
 * (wasm-threads.ts), with seg's training kernels (wasm-kernels.ts). It
 * loads everywhere, so it is auto's fallback.
 *
 * It runs out of memory its own ways: its heap is 32-bit (4 GiB at most);
 * XNNPACK reports xnn_status_out_of_memory (status 6) on stderr and then
 * spins on the operator it could not create, so the module's stderr hook
 * throws WasmOutOfMemory at that line; a failed heap growth surfaces as
 * "memory access out of bounds" or Emscripten's "Aborted(OOM)".
 */
import { threadCount, type EngineModule } from './engine-module.js';

/** Thrown from the wasm module's stderr hook when XNNPACK could not allocate, and by its guarded malloc. */
export class WasmOutOfMemory extends Error {}

const OUT_OF_MEMORY = [/memory access out of bounds/i, /Aborted\(OOM\)/, /Cannot enlarge memory/i, /could not allocate memory/i, /WebAssembly\.Memory/];

export const wasmEngine: EngineModule<'wasm'> = {
  name: 'wasm',
  auto: 'fallback',
  testPass: 'suite',

  async load({ threads }) {
    const [{ registerWasmTrainingKernels }, { loadWasmBackend }] = await Promise.all([import('./wasm-kernels.js'), import('./wasm-threads.js')]);
    registerWasmTrainingKernels();
    return { backend: 'wasm', threads: await loadWasmBackend(threads()) };
  },

  describe: (info) => `${info.backend}, ${threadCount(info.threads)}`,
  record: (info) => ({ backend: info.backend, threads: info.threads }),
  slow: () => false,

  memory: {
    place: () => "the wasm engine's 4 GiB heap",
    limit: { bytes: 4 * 2 ** 30, name: "tfjs-wasm's 4 GiB heap" },
    isOutOfMemory: (err, message) => err instanceof WasmOutOfMemory || OUT_OF_MEMORY.some((p) => p.test(message)),
    advice: 'or the tensorflow engine (SEG_BACKEND=tensorflow)',
  },
};
