#!/usr/bin/env node
/**
 * `pnpm test`: typecheck, then every package's tests once per engine:
 * SEG_BACKEND=tensorflow (where it loads) and SEG_BACKEND=wasm. Every test
 * runs on both, because the engine under a test is whatever SEG_BACKEND
 * picks (tests compare it with the cpu reference). A SEG_BACKEND set by the
 * caller runs that engine alone. Prints how long each part took.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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

function step(label, args, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(turbo, ['run', ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const s = ((Date.now() - t0) / 1000).toFixed(0);
  timings.push(`${label}: ${s} s${r.status === 0 ? '' : ' (failed)'}`);
  return r.status ?? 1;
}

const timings = [];
const engines = process.env.SEG_BACKEND ? [process.env.SEG_BACKEND] : tensorflowLoads() ? ['tensorflow', 'wasm'] : ['wasm'];
if (!process.env.SEG_BACKEND && engines.length === 1) {
  process.stderr.write('seg tests: the tensorflow engine does not load here, so the suite runs on wasm only (see README, Engines).\n');
}
let code = step('typecheck', ['typecheck']);
for (const e of engines) if (code === 0) code = step(`tests on ${e}`, ['test', '--concurrency=1'], { SEG_BACKEND: e });
process.stderr.write(`\n${timings.join('\n')}\n`);
process.exit(code);
