/**
 * Loads tfjs's wasm backend, multi-threaded where more than one thread is
 * asked for. Findings (details in packages/core/README.md):
 *
 * - In Node the package reports no multithread support and loads the
 *   single-threaded SIMD build.
 * - Its threaded build can run in Node if we create the Emscripten module
 *   ourselves: the pthread worker must be a real file (worker_threads rejects
 *   the blob: URL tfjs builds) and the main script is passed as a path.
 * - It then still used one thread because backend.cc caps the XNNPACK thread
 *   pool at emscripten_num_logical_cores() / 2, read once while the module
 *   instantiates, and that is os.cpus().length / 2 in Node: 1 on a 2-core
 *   machine. We report 2 * threads cores during instantiation only.
 */
import { createRequire } from 'node:module';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf } from './tf.js';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { WasmOutOfMemory } from './wasm-engine.js';

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => unknown;
  _malloc?: ((bytes: number) => number) & { guarded?: boolean };
  PThread?: {
    terminateAllThreads?: () => void;
    unusedWorkers?: { unref?: () => void }[];
    runningWorkers?: { unref?: () => void }[];
  };
  tfjs?: Record<string, unknown>;
  _get_threads_count?: () => number;
}

let threadedModule: EmscriptenModule | undefined;

function wasmPackageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Writes the pthread worker script to a file once (atomically: tests run in parallel processes). */
function workerScriptFile(dir: string): string {
  const version = (require(path.join(dir, 'package.json')) as { version: string }).version;
  const target = path.join(os.tmpdir(), `seg-tfjs-wasm-${version}`, 'threaded-simd.worker.cjs');
  const { wasmWorkerContents } = require(path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  // The package stores the source in a template literal, which turned its
  // "\n" escapes into newlines; tfjs undoes that the same way.
  writeFileSync(tmp, wasmWorkerContents.replace(/\n/g, '\\n'));
  renameSync(tmp, target);
  return target;
}

async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const dir = wasmPackageDir();
  const mainScript = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const wasmBinary = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.wasm');
  const worker = workerScriptFile(dir);
  const factory = require(mainScript) as (opts: object) => Promise<EmscriptenModule>;
  const realCpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => realCpus()[0]!);
  // The Emscripten glue installs process handlers that rethrow every uncaught
  // error from inside its minified source (so Node prints that whole line);
  // we take them out again and keep Node's own reporting.
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const before = events.map((e) => new Set<unknown>(process.listeners(e as 'uncaughtException')));
  let mod: EmscriptenModule;
  try {
    mod = await factory({
      mainScriptUrlOrBlob: mainScript,
      // XNNPACK reports a failed allocation here and would then spin on the
      // operator it could not create: end the kernel call instead.
      printErr: (line: string) => {
        if (/XNN status .* Got status 6\b/.test(line)) throw new WasmOutOfMemory(line);
        process.stderr.write(`${line}\n`);
      },
      locateFile: (p: string, prefix: string) =>
        p.endsWith('.worker.js') ? worker : p.endsWith('.wasm') ? wasmBinary : prefix + p,
    });
  } finally {
    os.cpus = realCpus;
    events.forEach((e, i) => {
      for (const l of process.listeners(e as 'uncaughtException')) if (!before[i]!.has(l)) process.removeListener(e, l as never);
    });
  }
  // The same bindings tfjs's own init() attaches.
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  return mod;
}

/**
 * The wasm heap's malloc returns 0 when the heap cannot grow (4 GiB at most),
 * and a request of 4 GiB or more wraps to a 32-bit size that may succeed;
 * tfjs would then write the tensor out of bounds and fail later with "memory
 * access out of bounds" or "null function". Failing at the allocation names
 * the cause.
 */
function guardMalloc(mod: EmscriptenModule): void {
  let malloc = mod._malloc;
  if (!malloc || malloc.guarded) return;
  const guarded = Object.assign(
    (bytes: number) => {
      // A request of 4 GiB or more would wrap around to a small 32-bit size and succeed.
      const p = bytes < 2 ** 32 ? malloc!(bytes) : 0;
      if (p === 0 && bytes > 0) throw new WasmOutOfMemory(`wasm heap: cannot allocate ${(bytes / 2 ** 20).toFixed(0)} MiB`);
      return p;
    },
    { guarded: true },
  );
  // Emscripten's export wrapper replaces Module._malloc with the raw export on
  // its first call; the accessor keeps the guard in front of whichever it is.
  Object.defineProperty(mod, '_malloc', {
    configurable: true,
    get: () => guarded,
    set: (f: (bytes: number) => number) => {
      malloc = f;
    },
  });
}

function threadsOfActiveWasm(): number {
  const wasm = (tf.backend() as unknown as { wasm: EmscriptenModule }).wasm;
  return wasm._get_threads_count ? wasm._get_threads_count() : 1;
}

/**
 * Makes 'wasm' the active backend with the given number of threads (default:
 * the machine's available parallelism; tfjs caps it at 8) and returns the
 * number the backend reports.
 */
export async function loadWasmBackend(threads = os.availableParallelism()): Promise<number> {
  const wanted = Math.max(1, Math.min(8, Math.floor(threads)));
  if (wanted > 1 && !threadedModule) {
    const mod = await createThreadedModule(wanted);
    tfwasm.setThreadsCount(wanted);
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', () => new tfwasm.BackendWasm(mod as never), 2);
    threadedModule = mod;
  }
  await tf.setBackend('wasm');
  await tf.ready();
  guardMalloc((tf.backend() as unknown as { wasm: EmscriptenModule }).wasm);
  // XNNPACK's pool threads run for the life of the module and Emscripten keeps
  // them referenced; unreferenced, they no longer hold the process open.
  for (const w of threadedModule?.PThread?.runningWorkers ?? []) w.unref?.();
  return threadsOfActiveWasm();
}

/** Stops the threaded build's worker threads so the process can exit. */
export function shutdownWasmThreads(): void {
  threadedModule?.PThread?.terminateAllThreads?.();
}
