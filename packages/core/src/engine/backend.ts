/**
 * Engine selection: SEG_BACKEND=auto or one of the engines in engines.ts.
 * auto tries them in that list's order as each module's `auto` says: on
 * this list, TensorFlow (tfjs-node-gpu, then tfjs-node, whose addon
 * @seg/core's postinstall builds), then webgpu on a hardware adapter (never
 * a software one), then wasm. cpu is the slow reference for tests.
 */
import { tf } from './tf.js';
import { registerConvGradients } from './gradients.js';
import { BACKEND_CHOICES, ENGINE_MODULES, engineModule, type BackendChoice, type Engine } from './engines.js';
import { EngineUnavailable, type EngineInfo, type EngineModule, type EngineRecord } from './engine-module.js';

export { BACKEND_CHOICES, type BackendChoice, type EngineInfo, type EngineRecord };

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

  const explicit = choice !== 'auto';
  const threads = () => opts.threads ?? threadsFromEnv();
  const tried = explicit ? [moduleOf(choice)] : ENGINE_MODULES.filter((m) => m.auto !== 'never');
  let note: string | undefined;
  for (const m of tried) {
    let info: EngineInfo;
    try {
      info = await m.load({ threads, explicit });
    } catch (err) {
      if (explicit) throw err instanceof EngineUnavailable ? new Error(`SEG_BACKEND=${m.name}: ${err.message.replace(/\.$/, '')}.`) : err;
      if (m.auto === 'fallback') throw err;
      if (m.auto === 'prefer') note ??= unavailableNote(m, err);
      continue;
    }
    // An engine's packages may bring @tensorflow/tfjs, which registers tfjs-core's gradients over ours.
    registerConvGradients(true);
    // The note tells why auto fell back; an engine it preferred less needs none.
    current = note && m.auto === 'fallback' ? { ...info, note } : info;
    return current;
  }
  throw new Error('No engine loads (engines.ts lists none that auto falls back to).');
}

/** "the tensorflow engine is not available (<why>), so this runs on wasm, several times slower; <fix>." */
function unavailableNote(m: EngineModule, err: unknown): string {
  const fallback = ENGINE_MODULES.find((e) => e.auto === 'fallback')!;
  const reason = (err as Error).message.replace(/\.$/, '');
  const fix = err instanceof EngineUnavailable && err.fix ? `; ${err.fix}` : '';
  return `the ${m.name} engine is not available (${reason}), so this runs on ${fallback.name}, several times slower${fix}.`;
}

function moduleOf(name: string): EngineModule {
  const m = engineModule(name);
  if (!m) throw new Error(`No engine is named "${name}"; the engines are ${ENGINE_MODULES.map((e) => e.name).join(', ')}.`);
  return m;
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in
 * Node.js..." on its first tensor write when IS_NODE is set (MathBackendCPU's
 * `firstUse`), pointing at tfjs-node. seg chose its engine itself, so the
 * backend starts as already used; tfjs's other warnings still print. (The
 * cpu backend is there whichever engine runs: tests check against it.)
 */
function quietCpuBackend(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/**
 * SEG_THREADS: TensorFlow's intra-op threads (TF_NUM_INTRAOP_THREADS) on
 * tensorflow, the worker threads of the wasm module (tfjs takes at most 8);
 * webgpu and cpu have none to set, and never read it. Unset: all cores.
 */
function threadsFromEnv(): number | undefined {
  const raw = process.env.SEG_THREADS;
  if (raw == null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SEG_THREADS must be a positive integer (got "${raw}").`);
  return n;
}

/** Switches the active tfjs backend to one already initialised, loading its engine first if need be (for tests). */
export async function useBackend(name: Engine): Promise<void> {
  if (!tf.findBackend(name)) {
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
 * back). `onnxruntime`: the network runs there (its version), the tfjs
 * backend only pre- and post-processes.
 */
export function describeEngine(info: EngineInfo, onnxruntime?: string): string {
  const backend = moduleOf(info.backend).describe(info);
  const line = onnxruntime ? `seg: backend onnxruntime-node ${onnxruntime} (CPU) for the network; pre- and post-processing on ${backend}` : `seg: backend ${backend}`;
  return info.note ? `${line}\nseg: ${info.note}` : line;
}

export function engineRecord(): EngineRecord {
  const info = current;
  if (!info) return { backend: 'unknown', threads: 0 };
  return moduleOf(info.backend).record(info);
}
