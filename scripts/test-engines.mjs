#!/usr/bin/env node
/**
 * `pnpm test`: typecheck, then each engine's pass, as @seg/core's engine
 * modules say (`testPass`, in their list's order):
 * - 'suite': every package's tests on the first such engine that loads
 *   here, then the engine-specific tests again on the others: @seg/core
 *   (every op and gradient against the cpu reference, the training loop,
 *   the pretrained weights) and @seg/cli (every zoo model end to end, ONNX
 *   export). The architecture packages and the replications' smoke runs are
 *   built from those ops and run once: without their second pass the wasm
 *   pass took 222 s, not 690 s.
 * - 'own': only the engine's *.<name>.test.ts files in those packages (their
 *   vitest configs pick them by SEG_BACKEND; for webgpu, @seg/core's ops and
 *   gradients and @seg/cli's zoo), against the cpu backend, wherever the
 *   engine starts (webgpu: on a software adapter too, e.g. Mesa's llvmpipe).
 * - 'reference': none (cpu: what the others are checked against).
 * An engine auto may go without (tensorflow, webgpu) is asked first, in a
 * child process, whether it starts here; one that does not is passed over
 * with a line saying why. A SEG_BACKEND set by the caller runs that engine's
 * pass alone (a reference engine's: the whole suite) and fails where it does
 * not start. Prints how long each part took.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { $ } from 'zx';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
const core = join(root, 'packages', 'core', 'dist');
/** Packages whose tests exercise the engine itself; the later suite engines and 'own' passes run only these. */
const ENGINE_PACKAGES = ['@seg/core', '@seg/cli'];
const engineOnly = ENGINE_PACKAGES.map((p) => `--filter=${p}`);

const timings = [];

/** `turbo run <args>` with its output on this terminal; records how long it took. */
async function step(label, args, env = {}) {
  const t0 = Date.now();
  const r = await $({ cwd: root, stdio: 'inherit', nothrow: true, verbose: false, env: { ...process.env, ...env } })`${turbo} run ${args}`;
  timings.push(`${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s${r.exitCode === 0 ? '' : ' (failed)'}`);
  return r.exitCode ?? 1;
}

function finish(code) {
  process.stderr.write(`\n${timings.join('\n')}\n`);
  process.exit(code);
}

/**
 * Whether SEG_BACKEND=<engine> starts here: its part of the engine line
 * ("webgpu on llvmpipe... (a software adapter...)"), or why not. A child
 * process: a loaded engine (Dawn, TensorFlow) stays loaded.
 */
async function starts(engine) {
  const script = `
    const c = await import(${JSON.stringify(pathToFileURL(join(core, 'index.js')).href)});
    try {
      const line = c.describeEngine(await c.initEngine({ backend: ${JSON.stringify(engine)}, force: true }));
      console.log(JSON.stringify({ on: line.replace(/^seg: backend /, '') }));
    } catch (err) {
      console.log(JSON.stringify({ why: err.message.replace(/^SEG_BACKEND=[^:]*: /, '').replace(/\\.$/, '') }));
    }
    process.exit(0);`;
  const r = await $({ cwd: root, quiet: true, nothrow: true, verbose: false })`${process.execPath} --input-type=module -e ${script}`;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    return { why: (r.stderr.trim().split('\n').pop() ?? '') || `exit ${r.exitCode}` };
  }
}

// The engine list comes from @seg/core's light entry, which is built first.
let code = await step('build @seg/core', ['build', '--filter=@seg/core', '--output-logs=errors-only']);
if (code !== 0) finish(code);
const { ENGINE_MODULES } = await import(pathToFileURL(join(core, 'names.js')).href);

const named = process.env.SEG_BACKEND;
/** The passes to run: [engine, 'suite' | 'own']. */
let passes;
if (named) {
  const m = ENGINE_MODULES.find((e) => e.name === named);
  passes = [[named, m?.testPass === 'own' ? 'own' : 'suite']];
} else {
  const ran = ENGINE_MODULES.filter((m) => m.testPass === 'suite' || m.testPass === 'own');
  passes = [...ran.filter((m) => m.testPass === 'suite'), ...ran.filter((m) => m.testPass === 'own')].map((m) => [m.name, m.testPass]);
}

// Ask the engines auto may go without, all at once.
const optional = (e) => ['prefer', 'quiet'].includes(ENGINE_MODULES.find((m) => m.name === e)?.auto);
const found = new Map(await Promise.all(passes.filter(([e]) => optional(e)).map(async ([e]) => [e, await starts(e)])));
const absent = passes.filter(([e]) => found.get(e)?.why !== undefined);
passes = passes.filter(([e]) => found.get(e)?.why === undefined);
for (const [e, pass] of absent) {
  if (pass === 'own' || named) process.stderr.write(`seg tests: SEG_BACKEND=${e} does not start here (${found.get(e).why}), so its tests did not run.\n`);
  else {
    const suite = passes.filter(([, p]) => p === 'suite').map(([s]) => s);
    process.stderr.write(`seg tests: the ${e} engine does not load here (${found.get(e).why}), so the suite runs on ${suite.join(' and ')} only (see README, Engines).\n`);
  }
}

code = await step('typecheck', ['typecheck']);
let suites = 0;
for (const [e, pass] of passes) {
  if (code !== 0) break;
  if (pass === 'own') code = await step(`${e}'s own tests on ${found.get(e)?.on ?? e}`, ['test', '--concurrency=1', ...engineOnly], { SEG_BACKEND: e });
  else {
    const first = suites++ === 0;
    code = await step(first ? `tests on ${e}` : `engine tests (${ENGINE_PACKAGES.join(', ')}) on ${e}`, ['test', '--concurrency=1', ...(first ? [] : engineOnly)], { SEG_BACKEND: e });
  }
}
if (code === 0 && named && absent.length) code = 1;
finish(code);
