/**
 * `pnpm bench:engine`: one training step (forward, softmax cross-entropy,
 * backward, SGD update) of a U-Net-like net.
 *
 * 1. wasm against cpu on the same small net (cpu is ~100x slower, so a
 *    full-size step there would take most of an hour):
 *    --cmp-size 64 --cmp-width 0.125
 * 2. wasm at the size the foundation issue sets against PyTorch:
 *    --size 256 --batch 2 --widths 1   (width 1 = unet-same-bn's channels)
 * --iterations 3 per wasm timing (cpu: 1), after one warm-up step.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { initEngine, useBackend } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { softmaxCrossEntropy } from '../losses/cross-entropy.js';
import { trainStep } from '../train/step.js';
import { countTrainableParams } from '../models/params.js';
import { timeTask, type Timing } from './timing.js';
import { unetLike } from './unet-like.js';
import { shutdownWasmThreads } from '../engine/wasm-threads.js';

// PyTorch eager, 2 threads, OpenBLAS, one training step of unet-same-bn at
// 256x256, batch 2, measured on this kind of machine (the foundation issue).
const PYTORCH_UNET_SAME_BN_MS = 4700;

const { values } = parseArgs({
  options: {
    widths: { type: 'string', default: '1' },
    size: { type: 'string', default: '256' },
    batch: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '3' },
    'cmp-size': { type: 'string', default: '64' },
    'cmp-width': { type: 'string', default: '0.125' },
  },
});

const num = (flag: string, v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number (got "${v}").`);
  return n;
};
const widths = values.widths.split(',').map((w) => num('widths', w));
const size = num('size', values.size);
const batch = num('batch', values.batch);
const iterations = num('iterations', values.iterations);
const cmpSize = num('cmp-size', values['cmp-size']);
const cmpWidth = num('cmp-width', values['cmp-width']);

const info = await initEngine({ backend: 'wasm' });
const machine = `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.availableParallelism()} cores`;
console.error(`machine: ${machine}; wasm threads ${info.threads}`);

interface Row extends Timing {
  size: number;
  width: number;
  backend: string;
  params: number;
}

async function timeStep(backend: 'wasm' | 'cpu', s: number, width: number): Promise<Row> {
  await useBackend(backend);
  const model = unetLike({ size: s, width });
  const optimizer = tf.train.momentum(0.01, 0.9);
  const images = tf.randomUniform([batch, s, s, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.cast(tf.greater(tf.squeeze(images, [3]), 0.5), 'int32') as tf.Tensor3D;
  const loss = (l: tf.Tensor4D, y: tf.Tensor3D) => softmaxCrossEntropy(l, y);
  const params = countTrainableParams(model);
  console.error(`timing ${backend}, ${s}x${s}, width ${width} (${params.toLocaleString('en-US')} params) ...`);
  const t = await timeTask(`${backend} ${s} w${width}`, () => trainStep(model, optimizer, images, labels, loss), {
    iterations: backend === 'cpu' ? 1 : iterations,
    warmupIterations: 1,
  });
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
  return { size: s, width, backend, params, ...t };
}

const rows: Row[] = [];
const cmpWasm = await timeStep('wasm', cmpSize, cmpWidth);
const cmpCpu = await timeStep('cpu', cmpSize, cmpWidth);
rows.push(cmpWasm, cmpCpu);
for (const width of widths) rows.push(await timeStep('wasm', size, width));

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
console.log(`\nOne training step of a U-Net-like net (same-padded conv-bn-relu, depth 4), batch ${batch}; ${machine}, wasm ${info.threads} threads\n`);
console.log('| size | width | params | backend | mean | p50 | samples |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.size}x${r.size} | ${r.width} | ${r.params.toLocaleString('en-US')} | ${r.backend} | ${fmt(r.mean_ms)} | ${fmt(r.p50_ms)} | ${r.samples} |`);
}
console.log(`\ncpu / wasm at ${cmpSize}x${cmpSize}, width ${cmpWidth}: ${(cmpCpu.mean_ms / cmpWasm.mean_ms).toFixed(0)}x`);
const full = rows.find((r) => r.backend === 'wasm' && r.size === 256 && r.width === 1);
if (full && batch === 2) {
  console.log(`wasm / PyTorch eager at 256x256, width 1 (${fmt(PYTORCH_UNET_SAME_BN_MS)}, measured separately): ${(full.mean_ms / PYTORCH_UNET_SAME_BN_MS).toFixed(2)}x (goal: 2x)`);
}
shutdownWasmThreads();
