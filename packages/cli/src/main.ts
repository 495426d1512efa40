/**
 * The `seg` command: verb dispatch, the engine line on stderr, errors as one
 * sentence. Verbs load when named and check their input before they ask for
 * the engine, so a wrong flag, name or path is refused without loading tfjs.
 */
import { BACKEND_CHOICES, didYouMean } from '@seg/core/names';
import { engineStarter, type StartEngine } from './engine-line.js';
import { UsageError } from './errors.js';

interface VerbModule {
  help: string;
  /** `engine` initialises the engine and prints its line; a verb calls it once its input is checked. */
  run: (argv: string[], out: (s: string) => void, err: (s: string) => void, engine: StartEngine) => Promise<void>;
}

interface Verb {
  /** Its line in seg --help. */
  summary: string;
  load: () => Promise<VerbModule>;
}

const VERBS: Record<string, Verb> = {
  models: { summary: 'list the zoo models', load: () => import('./verbs/models.js') },
  info: { summary: 'build a model and describe it', load: () => import('./verbs/info.js') },
  train: { summary: 'train a model on a dataset', load: () => import('./verbs/train.js') },
  eval: { summary: 'evaluate a trained model', load: () => import('./verbs/eval.js') },
  predict: { summary: 'write label maps and overlays for images', load: () => import('./verbs/predict.js') },
  export: { summary: 'write a model as an ONNX graph', load: () => import('./verbs/export.js') },
  bench: { summary: 'latency of the zoo models on each engine', load: () => import('./verbs/bench.js') },
  crf: { summary: 'refine a probability map with the dense CRF', load: () => import('./verbs/crf.js') },
  data: { summary: 'list, fetch and verify the datasets (seg data list)', load: () => import('./verbs/data.js') },
  weights: { summary: 'list, fetch, verify and try the ImageNet weights (seg weights list)', load: () => import('./verbs/weights.js') },
};

const USAGE = `seg <verb> [options]

verbs:
${Object.entries(VERBS)
  .map(([name, v]) => `  ${name.padEnd(9)} ${v.summary}`)
  .join('\n')}

Every verb takes --help. Machine-readable output goes to stdout with --json;
progress and logs go to stderr. SEG_BACKEND=${BACKEND_CHOICES.join('|')}
picks the engine (auto: the fastest that loads), SEG_THREADS the threads of
the tensorflow and wasm engines (default: all cores; wasm takes at most 8).

Exit codes: 0 done; 1 the run failed (diverged, out of memory or disk, an
internal error); 2 the input must change (a flag, a file, a dataset, a
checkpoint, a run folder in use). Errors are one sentence on stderr
(SEG_DEBUG=1 adds the stack).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

function unknownVerb(name: string): UsageError {
  const verbs = Object.keys(VERBS);
  const near = didYouMean(name, verbs);
  return new UsageError(near ? `Unknown verb "${name}"; ${near}` : `Unknown verb "${name}"; the verbs are ${verbs.join(', ')} (see seg --help).`);
}

/** Errors of the engine told as one sentence (out of memory); input errors are one already and need no engine to say so. */
async function described(caught: unknown, verbName: string | undefined): Promise<unknown> {
  if ((caught as { exitCode?: number } | undefined)?.exitCode === 2) return caught;
  try {
    const { asOutOfMemory } = await import('@seg/core');
    return asOutOfMemory(caught, `seg ${verbName}`, 'use smaller inputs (--size, --batch) or a sliding window (--window)');
  } catch {
    return caught;
  }
}

/** Runs the command and returns its exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [verbName, ...rest] = argv;
  try {
    if (!verbName || verbName === '--help' || verbName === '-h' || verbName === 'help') {
      io.out(USAGE);
      return verbName ? 0 : 2;
    }
    const verb = Object.hasOwn(VERBS, verbName) ? VERBS[verbName] : undefined;
    if (!verb) throw unknownVerb(verbName);
    const module = await verb.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(module.help);
      return 0;
    }
    await module.run(rest, io.out, io.err, engineStarter(io.err));
    return 0;
  } catch (caught) {
    const e = (await described(caught, verbName)) as Error & { exitCode?: number };
    io.err(`seg: ${(e.message ?? String(e)).split('\n')[0]}`);
    if (process.env.SEG_DEBUG && e.stack) io.err(e.stack);
    return typeof e.exitCode === 'number' ? e.exitCode : 1;
  }
}
