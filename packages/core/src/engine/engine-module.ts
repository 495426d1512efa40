/**
 * What an engine is to seg: one module per engine (tensorflow-engine.ts,
 * webgpu-engine.ts, wasm-engine.ts, cpu-engine.ts) says everything seg does
 * and says about it, and engines.ts lists them once. Adding an engine is
 * writing one such module and adding it to that list.
 *
 * A module is light: its backend, packages and kernels load in `load`
 * (dynamic imports), so the list names engines without loading tfjs
 * (`@seg/core/names`, scripts/test-engines.mjs).
 */

/** The engine initEngine started (engineInfo()). */
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

/**
 * What `auto` does with an engine, in the list's order: 'prefer' tries it
 * and, when it does not load, says why on the fallback's engine line;
 * 'quiet' tries it and passes over it without a word (most machines lack
 * it); 'fallback' takes it (it loads everywhere) and ends the search;
 * 'never' runs it only when named.
 */
export type AutoPolicy = 'prefer' | 'quiet' | 'fallback' | 'never';

/**
 * Its pass in `pnpm test` (scripts/test-engines.mjs): 'suite', every
 * package's tests on the first such engine that loads and the engine
 * packages' tests on the others; 'own', only its own *.<name>.test.ts
 * files; 'reference', none: the others are checked against it (named by
 * SEG_BACKEND, it runs the suite).
 */
export type TestPass = 'suite' | 'own' | 'reference';

export interface LoadOptions {
  /** SEG_THREADS, or the caller's count; read only by engines that set threads (a bad SEG_THREADS throws there). */
  threads(): number | undefined;
  /** Named by SEG_BACKEND or the caller rather than tried by auto: it may then take what auto passes over. */
  explicit: boolean;
}

/** Thrown by `load` when the engine is not there: the reason, and how to get it. */
export class EngineUnavailable extends Error {
  constructor(
    reason: string,
    readonly fix?: string,
  ) {
    super(reason);
    this.name = 'EngineUnavailable';
  }
}

/** How an engine runs out of memory, for out-of-memory.ts and seg bench. */
export interface EngineMemory {
  /** Where its tensors live, for "does not fit in <place>"; `machine` says what the machine has ("this machine has 16 GiB"). */
  place(machine: string): string;
  /** The most its tensors can take whatever the machine has (wasm's 32-bit heap), for estimates that skip what cannot fit. */
  limit?: { bytes: number; name: string };
  /** Its tensors live in native memory that neither tfjs nor V8 counts, so seg bench records the process's RSS as it trains. */
  native?: boolean;
  /** Its own ways of failing for want of memory (V8's, common to all, are out-of-memory.ts's). */
  isOutOfMemory?(err: unknown, message: string): boolean;
  /** What else to try when it runs out, after the caller's fix. */
  advice?: string;
}

export interface EngineModule<Name extends string = string> {
  /** SEG_BACKEND's value for it, and its tfjs backend's name. */
  readonly name: Name;
  readonly auto: AutoPolicy;
  readonly testPass: TestPass;
  /**
   * Loads its packages, registers its kernels and fast paths under its
   * backend name (tf.registerKernel, fast-paths.ts, dilated-backprop.ts:
   * ops and layers never ask which backend is active) and makes its backend
   * the active one. Throws EngineUnavailable when the engine is not there.
   */
  load(o: LoadOptions): Promise<EngineInfo>;
  /** Its part of the engine line, "seg: backend <this>". */
  describe(info: EngineInfo): string;
  /** results.json's `engine`. */
  record(info: EngineInfo): EngineRecord;
  /** Whether, as loaded, it is for correctness rather than speed (cpu; a software GPU adapter): seg bench then times only what is predicted to be quick. */
  slow(info: EngineInfo): boolean;
  memory: EngineMemory;
}

/** "1 thread", "8 threads". */
export const threadCount = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

/** Where tensors live on an engine that keeps them in the process's own memory. */
export const processMemory = (machine: string) => `this process's memory (${machine})`;
