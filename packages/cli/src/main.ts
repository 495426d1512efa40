/** The `seg` command: verb dispatch, the engine line on stderr, errors as one sentence. */
import { asOutOfMemory, describeEngine, initEngine } from '@seg/core';
import { UsageError } from './errors.js';
import * as models from './verbs/models.js';
import * as info from './verbs/info.js';
import * as trainVerb from './verbs/train.js';
import * as evalVerb from './verbs/eval.js';
import * as predict from './verbs/predict.js';
import * as crfVerb from './verbs/crf.js';
import * as exportVerb from './verbs/export.js';
import * as benchVerb from './verbs/bench.js';

interface Verb {
  help: string;
  run: (argv: string[], out: (s: string) => void, err: (s: string) => void) => Promise<void>;
  /** Whether the verb computes with tfjs (and so reports the backend). */
  engine: boolean;
}

const VERBS: Record<string, Verb> = {
  models: { ...models, engine: true },
  info: { ...info, engine: true },
  train: { ...trainVerb, engine: true },
  eval: { ...evalVerb, engine: true },
  predict: { ...predict, engine: true },
  export: { ...exportVerb, engine: true },
  bench: { ...benchVerb, engine: true },
  crf: { ...crfVerb, engine: false },
};

const USAGE = `seg <verb> [options]

verbs:
  models    list the zoo models
  info      build a model and describe it
  train     train a model on a dataset
  eval      evaluate a trained model
  predict   write label maps and overlays for images
  export    write a model as an ONNX graph
  bench     latency of the zoo models on each engine
  crf       refine a probability map with the dense CRF

Every verb takes --help. Machine-readable output goes to stdout with --json;
progress and logs go to stderr. SEG_BACKEND=auto|tensorflow|wasm|cpu picks
the engine, SEG_THREADS the number of wasm threads.

Exit codes: 0 done; 1 the run failed (diverged, out of memory or disk, an
internal error); 2 the input must change (a flag, a file, a dataset, a
checkpoint, a run folder in use). Errors are one sentence on stderr
(SEG_DEBUG=1 adds the stack).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs the command and returns its exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [verbName, ...rest] = argv;
  try {
    if (!verbName || verbName === '--help' || verbName === '-h' || verbName === 'help') {
      io.out(USAGE);
      return verbName ? 0 : 2;
    }
    const verb = VERBS[verbName];
    if (!verb) throw new UsageError(`Unknown verb "${verbName}"; the verbs are ${Object.keys(VERBS).join(', ')} (see seg --help).`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(verb.help);
      return 0;
    }
    if (verb.engine) io.err(describeEngine(await initEngine()));
    await verb.run(rest, io.out, io.err);
    return 0;
  } catch (caught) {
    const err = asOutOfMemory(caught, `seg ${verbName}`, 'use smaller inputs (--size, --batch) or a sliding window (--window)');
    const e = err as Error & { exitCode?: number };
    io.err(`seg: ${(e.message ?? String(err)).split('\n')[0]}`);
    if (process.env.SEG_DEBUG && e.stack) io.err(e.stack);
    return typeof e.exitCode === 'number' ? e.exitCode : 1;
  }
}
