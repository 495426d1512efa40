/**
 * `pnpm bench:engine`: one training step (forward, softmax cross-entropy,
 * backward, SGD update) of a U-Net-like net on wasm and on cpu.
 *
 *   --widths 0.25,1   width multipliers (1 = unet-same-bn's 64..1024 channels)
 *   --size 256 --batch 2 --iterations 3
 *   --backends wasm,cpu    cpu runs only where --cpu-max-width allows (default 0.25)
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
    widths: { type: 'string', default: '0.25,1' },
    size: { type: 'string', default: '256' },
    batch: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,cpu' },
    'cpu-max-width': { type: 'string', default: '0.25' },
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
const cpuMaxWidth = num('cpu-max-width', values['cpu-max-width']);
const backends = values.backends.split(',').map((b) => b.trim());
for (const b of backends) if (b !== 'wasm' && b !== 'cpu') throw new Error(`--backends takes wasm and/or cpu (got "${b}").`);

const info = await initEngine({ backend: 'wasm' });
console.error(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.availableParallelism()} cores; wasm threads ${info.threads}`);

interface Row extends Timing {
  width: number;
  backend: string;
  params: number;
}
const rows: Row[] = [];

for (const width of widths) {
  for (const backend of backends) {
    if (backend === 'cpu' && width > cpuMaxWidth) {
      console.error(`skip cpu at width ${width}: above --cpu-max-width ${cpuMaxWidth} (a step would take minutes)`);
      continue;
    }
    await useBackend(backend as 'wasm' | 'cpu');
    const model = unetLike({ size, width });
    const optimizer = tf.train.momentum(0.01, 0.9);
    const images = tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.cast(tf.greater(tf.squeeze(images, [3]), 0.5), 'int32') as tf.Tensor3D;
    const loss = (l: tf.Tensor4D, y: tf.Tensor3D) => softmaxCrossEntropy(l, y);
    console.error(`timing ${backend} width ${width} (${countTrainableParams(model).toLocaleString('en-US')} params) ...`);
    const t = await timeTask(`${backend} w${width}`, () => trainStep(model, optimizer, images, labels, loss), {
      iterations: backend === 'cpu' ? 1 : iterations,
      warmupIterations: 1,
    });
    rows.push({ width, backend, params: countTrainableParams(model), ...t });
    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  }
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
console.log(`\nOne training step, U-Net-like (same conv-bn-relu, depth 4), ${size}x${size}, batch ${batch}\n`);
console.log('| width | params | backend | mean | p50 | samples |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.width} | ${r.params.toLocaleString('en-US')} | ${r.backend} | ${fmt(r.mean_ms)} | ${fmt(r.p50_ms)} | ${r.samples} |`);
console.log('');
for (const width of widths) {
  const w = rows.find((r) => r.width === width && r.backend === 'wasm');
  const c = rows.find((r) => r.width === width && r.backend === 'cpu');
  if (w && c) console.log(`width ${width}: cpu / wasm = ${(c.mean_ms / w.mean_ms).toFixed(1)}x`);
  if (w && width === 1 && size === 256 && batch === 2) {
    console.log(`width 1: wasm / PyTorch eager (${fmt(PYTORCH_UNET_SAME_BN_MS)}, measured separately) = ${(w.mean_ms / PYTORCH_UNET_SAME_BN_MS).toFixed(2)}x`);
  }
}
shutdownWasmThreads();
