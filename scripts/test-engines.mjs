#!/usr/bin/env node
/**
 * `pnpm test`: typecheck, then every package's tests on the first engine
 * (SEG_BACKEND=tensorflow where it loads, else wasm), then the
 * engine-specific tests again on wasm: @seg/core (every op and gradient
 * against the cpu reference, the training loop, the pretrained weights) and
 * @seg/cli (every zoo model end to end, ONNX export). The architecture
 * packages and the replications' smoke runs are built from those ops and
 * run once: without their second pass the wasm pass took 222 s, not 690 s. A
 * SEG_BACKEND set by the caller runs every test on that engine alone. Then
 * the webgpu pass: only the
 * *.webgpu.test.ts files (@seg/core's ops and gradients, @seg/cli's zoo),
 * on whatever adapter Dawn finds, a software one included (here Mesa's
 * llvmpipe), against the cpu backend. Prints how long each part took.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * @seg/core's ENGINES (dist may not be built yet when this starts; its
 * engines test checks the two lists agree). tensorflow and wasm run the
 * suite, webgpu its own tests; cpu is the reference the others are checked
 * against.
 */
const ENGINES = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');

function tensorflowLoads() {
  // The same loader seg uses, in a child process (it takes ~1 s).
  const core = createRequire(join(root, 'packages', 'core', 'package.json'));
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    let dir;
    try {
      dir = dirname(core.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})`], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, stdio: 'ignore' });
    if (r.status === 0) return true;
  }
  return false;
}

/** Whether SEG_BACKEND=webgpu starts here, and on which adapter (a child process: Dawn stays loaded). */
function webgpuAdapter() {
  const script = `import('@seg/core').then((c) => c.initEngine({ backend: 'webgpu' })).then((i) => console.log(i.adapter + (i.software ? ' (software)' : '')), () => process.exit(1))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(root, 'packages', 'cli'), encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function step(label, args, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(turbo, ['run', ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const s = ((Date.now() - t0) / 1000).toFixed(0);
  timings.push(`${label}: ${s} s${r.status === 0 ? '' : ' (failed)'}`);
  return r.status ?? 1;
}

const timings = [];
const engines = process.env.SEG_BACKEND ? [process.env.SEG_BACKEND] : ENGINES.filter((e) => e === 'wasm' || (e === 'tensorflow' && tensorflowLoads()));
if (!process.env.SEG_BACKEND && engines.length === 1) {
  process.stderr.write('seg tests: the tensorflow engine does not load here, so the suite runs on wasm only (see README, Engines).\n');
}
let code = step('typecheck', ['typecheck']);
/** Packages whose tests exercise the engine itself; the second engine and webgpu run only these. */
const ENGINE_PACKAGES = ['@seg/core', '@seg/cli'];
const engineOnly = ENGINE_PACKAGES.map((p) => `--filter=${p}`);
engines.forEach((e, i) => {
  if (code !== 0 || e === 'webgpu') return;
  code = step(i === 0 ? `tests on ${e}` : `engine tests (${ENGINE_PACKAGES.join(', ')}) on ${e}`, ['test', '--concurrency=1', ...(i === 0 ? [] : engineOnly)], { SEG_BACKEND: e });
});
if (code === 0 && (!process.env.SEG_BACKEND || process.env.SEG_BACKEND === 'webgpu')) {
  const adapter = webgpuAdapter();
  if (adapter) code = step(`webgpu tests on ${adapter}`, ['test', '--concurrency=1', ...engineOnly], { SEG_BACKEND: 'webgpu' });
  else {
    process.stderr.write('seg tests: SEG_BACKEND=webgpu does not start here (no adapter, not even a software one), so its tests did not run.\n');
    if (process.env.SEG_BACKEND === 'webgpu') code = 1;
  }
}
process.stderr.write(`\n${timings.join('\n')}\n`);
process.exit(code);
