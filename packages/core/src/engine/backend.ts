/**
 * Backend selection: SEG_BACKEND=auto|tensorflow|webgpu|wasm|cpu.
 * auto prefers TensorFlow (tfjs-node-gpu, then tfjs-node, whose addon
 * @seg/core's postinstall builds), then webgpu on a hardware adapter
 * (webgpu.ts; never a software one), then wasm. cpu is the slow reference
 * for tests.
 */
import { tf } from './tf.js';
import { loadTensorflow } from './tensorflow.js';
import { registerConvGradients } from './gradients.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { loadWasmBackend } from './wasm-threads.js';
import { loadWebGpu } from './webgpu.js';
import { BACKEND_CHOICES, type BackendChoice, type Engine } from './engines.js';

export { BACKEND_CHOICES, type BackendChoice };

export interface EngineInfo {
  /** tfjs backend name: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  backend: string;
  /** Threads the backend computes with. */
  threads: number;
  /** For tensorflow: which package provided it. */
  provider?: string;
  /** For tensorflow: the TensorFlow library's version. */
  version?: string;
  /** For webgpu: the adapter's name, and whether it is a software one (timings from it are not GPU speed). */
  adapter?: string;
  software?: boolean;
  /** Why auto did not get the fastest engine, and how to get it (printed once by seg). */
  note?: string;
}

let current: EngineInfo | undefined;

export function parseBackendChoice(value: string | undefined, source = 'SEG_BACKEND'): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase() || 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`${source} must be one of ${BACKEND_CHOICES.join(', ')} (got "${value}").`);
}

/**
 * Picks and initialises the backend once per process; later calls return the
 * same choice unless `force` is set (tests switch between wasm and cpu).
 */
export async function initEngine(opts: { backend?: BackendChoice | string; threads?: number; force?: boolean } = {}): Promise<EngineInfo> {
  if (current && !opts.force) return current;
  const choice = parseBackendChoice(opts.backend ?? process.env.SEG_BACKEND);
  quietCpuBackend();
  registerConvGradients();
  registerWasmTrainingKernels();

  let note: string | undefined;
  if (choice === 'tensorflow' || choice === 'auto') {
    let reason = 'neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed';
    let fix = '`pnpm install` installs and builds it (an optional dependency of @seg/core; README, Engines)';
    try {
      const tfInfo = await loadTensorflow(opts.threads ?? threadsFromEnv());
      if (tfInfo) {
        // @tensorflow/tfjs, which tfjs-node loads, registers tfjs-core's gradients over ours.
        registerConvGradients(true);
        current = { backend: 'tensorflow', threads: tfInfo.threads, provider: tfInfo.provider, version: tfInfo.version };
        return current;
      }
    } catch (err) {
      reason = (err as Error).message.replace(/\.$/, '');
      fix = '`pnpm --filter @seg/core setup:tensorflow` rebuilds it (README, Engines)';
    }
    if (choice === 'tensorflow') throw new Error(`SEG_BACKEND=tensorflow: ${reason}.`);
    note = `the tensorflow engine is not available (${reason}), so this runs on wasm, several times slower; ${fix}.`;
  }
  if (choice === 'webgpu' || choice === 'auto') {
    try {
      // auto takes a hardware adapter only: a software one is slower than wasm.
      const gpu = await loadWebGpu(choice === 'webgpu');
      current = { backend: 'webgpu', threads: 1, adapter: gpu.adapter, software: gpu.software };
      return current;
    } catch (err) {
      if (choice === 'webgpu') throw new Error(`SEG_BACKEND=webgpu: ${(err as Error).message.replace(/^webgpu: /, '').replace(/\.$/, '')}.`);
    }
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    current = { backend: 'cpu', threads: 1 };
    return current;
  }
  const threads = await loadWasmBackend(opts.threads ?? threadsFromEnv());
  current = { backend: 'wasm', threads, note };
  return current;
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in
 * Node.js..." on its first tensor write when IS_NODE is set (MathBackendCPU's
 * `firstUse`), pointing at tfjs-node. seg chose its engine itself, so the
 * backend starts as already used; tfjs's other warnings still print.
 */
function quietCpuBackend(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/**
 * SEG_THREADS: TensorFlow's intra-op threads (TF_NUM_INTRAOP_THREADS) on
 * tensorflow, the worker threads of the wasm module (tfjs takes at most 8);
 * webgpu and cpu have none to set. Unset: all cores.
 */
function threadsFromEnv(): number | undefined {
  const raw = process.env.SEG_THREADS;
  if (raw == null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SEG_THREADS must be a positive integer (got "${raw}").`);
  return n;
}

/** Switches the active tfjs backend to one already initialised (for tests). */
export async function useBackend(name: Engine): Promise<void> {
  if (name !== 'cpu' && !tf.findBackend(name)) {
    const active = current;
    await initEngine({ backend: name, force: true });
    current = active ?? current;
  }
  await tf.setBackend(name);
  await tf.ready();
}

export function engineInfo(): EngineInfo | undefined {
  return current;
}

/**
 * The line the CLI prints once on stderr (and a second one, when auto fell
 * back to wasm). `onnxruntime`: the network runs there (its version), the
 * tfjs backend only pre- and post-processes.
 */
export function describeEngine(info: EngineInfo, onnxruntime?: string): string {
  const via = info.provider ? ` via ${info.provider}` : '';
  const version = info.version ? ` (TensorFlow ${info.version})` : '';
  const backend = info.adapter
    ? `${info.backend} on ${info.adapter}${info.software ? ' (a software adapter: correct, not fast)' : ''}`
    : `${info.backend}${via}${version}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const line = onnxruntime ? `seg: backend onnxruntime-node ${onnxruntime} (CPU) for the network; pre- and post-processing on ${backend}` : `seg: backend ${backend}`;
  return info.note ? `${line}\nseg: ${info.note}` : line;
}

/** What a result records of the engine that produced it (results.json's `engine`). */
export interface EngineRecord {
  backend: string;
  /** The package that provided TensorFlow, and the library's version. */
  provider?: string;
  tensorflow?: string;
  /** For webgpu: the adapter, and whether it is a software one. */
  adapter?: string;
  software?: boolean;
  threads: number;
}

export function engineRecord(): EngineRecord {
  const info = current;
  if (!info) return { backend: 'unknown', threads: 0 };
  if (info.backend === 'tensorflow') return { backend: info.backend, provider: info.provider, tensorflow: info.version, threads: info.threads };
  if (info.backend === 'webgpu') return { backend: info.backend, adapter: info.adapter, software: info.software, threads: info.threads };
  return { backend: info.backend, threads: info.threads };
}
