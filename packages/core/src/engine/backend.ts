/**
 * Backend selection: SEG_BACKEND=auto|tensorflow|wasm|cpu.
 * auto prefers tfjs-node-gpu, then tfjs-node (optional peers, used when the
 * user installed one), then wasm. cpu is the slow reference for tests.
 */
import { availableParallelism } from 'node:os';
import { tf } from './tf.js';
import { registerConvGradients } from './gradients.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { loadWasmBackend } from './wasm-threads.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface EngineInfo {
  /** tfjs backend name: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Threads the backend computes with. */
  threads: number;
  /** For tensorflow: which package provided it. */
  provider?: string;
}

let current: EngineInfo | undefined;

export function parseBackendChoice(value: string | undefined, source = 'SEG_BACKEND'): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase() || 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`${source} must be one of ${BACKEND_CHOICES.join(', ')} (got "${value}").`);
}

async function tryTensorflow(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      return pkg;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Not installed is expected; anything else (a broken native binding) is worth reporting.
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') {
        process.emitWarning(`${pkg} is installed but failed to load: ${(err as Error).message}`);
      }
    }
  }
  return undefined;
}

/**
 * Picks and initialises the backend once per process; later calls return the
 * same choice unless `force` is set (tests switch between wasm and cpu).
 */
export async function initEngine(opts: { backend?: BackendChoice | string; threads?: number; force?: boolean } = {}): Promise<EngineInfo> {
  if (current && !opts.force) return current;
  const choice = parseBackendChoice(opts.backend ?? process.env.SEG_BACKEND);
  registerConvGradients();
  registerWasmTrainingKernels();

  if (choice === 'tensorflow' || choice === 'auto') {
    const provider = await tryTensorflow();
    if (provider) {
      await tf.setBackend('tensorflow');
      await tf.ready();
      current = { backend: 'tensorflow', threads: availableParallelism(), provider };
      return current;
    }
    if (choice === 'tensorflow') {
      throw new Error('SEG_BACKEND=tensorflow needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu installed (neither could be loaded).');
    }
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    current = { backend: 'cpu', threads: 1 };
    return current;
  }
  const threads = await loadWasmBackend(opts.threads ?? threadsFromEnv());
  current = { backend: 'wasm', threads };
  return current;
}

function threadsFromEnv(): number | undefined {
  const raw = process.env.SEG_THREADS;
  if (raw == null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SEG_THREADS must be a positive integer (got "${raw}").`);
  return n;
}

/** Switches the active tfjs backend to one already initialised (for tests). */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') {
    await initEngine({ backend: 'wasm' });
  }
  await tf.setBackend(name);
  await tf.ready();
}

export function engineInfo(): EngineInfo | undefined {
  return current;
}

/** The line the CLI prints once on stderr. */
export function describeEngine(info: EngineInfo): string {
  const via = info.provider ? ` via ${info.provider}` : '';
  return `seg: backend ${info.backend}${via}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
}
