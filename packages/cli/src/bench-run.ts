/**
 * seg bench once its flags are checked: times every model on every engine
 * (verbs/bench.ts says how). Loads @seg/core, so it is imported only then.
 */
import os from 'node:os';
import {
  countMacs,
  countTrainableParams,
  engineModule,
  exportOnnx,
  initEngine,
  isOutOfMemory,
  loadOnnxRuntime,
  onnxSession,
  peakRssMb,
  resetPeakRss,
  rssMb,
  runOnnx,
  softmaxCrossEntropy,
  tf,
  timeTask,
  trainStep,
  type tfl,
} from '@seg/core';
import type { BenchEngine as Engine } from './bench-engines.js';
import { benchTargets } from './bench-models.js';
import { writeBenchReport, type BenchRow } from './bench-report.js';

/** The most a cpu sample may take (the issue's limit). */
const CPU_LIMIT_S = 30;
/**
 * An engine whose memory has a hard limit (wasm's is 32-bit, 4 GiB) skips
 * the training rows that would not fit. A training step keeps about 8
 * copies of the weights and 3 of every layer's output; calibrated on wasm,
 * on what failed here: FCN-32s (134 M parameters) aborts a 32x32 step with
 * "memory access out of bounds", and DeepLab v2 ASPP-L at 256x256, batch 2
 * (estimated 4.3 GiB) did not finish one step in 13 minutes, while DeepLab
 * v3 (2.0 GiB) takes 9.5 s.
 */
const TRAIN_WEIGHT_COPIES = 8;
const ACTIVATION_COPIES = 3;

function trainingBytes(model: tfl.LayersModel, batch: number): number {
  let outputs = 0;
  for (const layer of model.layers) {
    const shape = layer.outputShape as number[] | number[][];
    for (const s of (Array.isArray(shape[0]) ? shape : [shape]) as number[][]) outputs += s.slice(1).reduce((a, b) => a * (b ?? 1), 1);
  }
  return 4 * (countTrainableParams(model) * TRAIN_WEIGHT_COPIES + outputs * batch * ACTIVATION_COPIES);
}

export interface BenchOptions {
  /** --models; every registered one when unset. */
  models?: string[];
  engines: Engine[];
  size?: [number, number];
  batch: number;
  samples: number;
  train: boolean;
  report?: string;
  json: boolean;
}

export async function runBench(o: BenchOptions, out: (s: string) => void): Promise<void> {
  const { engines, size, batch, samples, train } = o;
  const mode = train ? 'train' : 'inference';
  const targets = await benchTargets({ models: o.models, size, train });
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const available = await availableEngines(engines);
  const slow = (engine: Engine) => available.get(engine)!.slow === true;
  const rows: BenchRow[] = [];
  // Every model on every engine runs for many minutes: each row's line says how many of the rows are done.
  const count = () => `[${rows.length}/${targets.length * engines.length}]`;
  for (const { spec, size: hw, channels, classes } of targets) {
    for (const engine of engines) {
      const adapter = available.get(engine)!.adapter;
      const base = { model: spec.name, engine, size: `${hw[0]}x${hw[1]}`, batch, mode, ...(adapter ? { adapter } : {}) } as const;
      const skip = (why: string) => {
        rows.push({ ...base, mean_ms: null, p50_ms: null, p99_ms: null, samples: 0, skipped: why });
        log(`${count()} bench ${spec.name} ${engine} ${mode}: skipped (${why})`);
      };
      if (!available.get(engine)!.ok) {
        skip(available.get(engine)!.why!);
        continue;
      }
      if (engine === 'onnx' && train) {
        skip('onnxruntime-node runs inference only');
        continue;
      }
      const backend = engine === 'onnx' ? 'wasm' : engine;
      await initEngine({ backend, force: true });
      // A training step includes a training-only auxiliary head (PSPNet's, as PyTorch's reference rows do); inference does not.
      const withAux = train && spec.auxiliaryLosses !== undefined;
      const model = spec.build({ classes, size: hw, channels, ...(withAux ? { auxiliary: true } : {}) });
      try {
        const limit = engineModule(engine)?.memory.limit;
        if (train && limit) {
          const need = trainingBytes(model, batch);
          if (need > limit.bytes) {
            skip(`a training step needs about ${(need / 2 ** 30).toFixed(1)} GiB (weights x${TRAIN_WEIGHT_COPIES} for gradients, momentum and XNNPACK's packed filters; layer outputs x${ACTIVATION_COPIES}), over ${limit.name}`);
            continue;
          }
        }
        if (slow(engine)) {
          // Predicted from one pass of the same model at 1/8 of the size (1/4 or 1/2 for nets that cannot shrink so far), scaled by multiply-accumulates.
          const predicted = (await predictSeconds(spec.build.bind(spec), { classes, channels }, hw, countMacs(model))) * batch * (train ? 3 : 1);
          if (predicted === Infinity) {
            skip(`no smaller input gives this valid-convolution net an output to time, so the time of a ${hw[0]}x${hw[1]} sample cannot be predicted below the ${CPU_LIMIT_S} s limit`);
            continue;
          }
          if (predicted > CPU_LIMIT_S) {
            skip(`predicted ${predicted.toFixed(0)} s a sample${train ? ' (3x a forward pass)' : ''} from a timed pass at a smaller size, over the ${CPU_LIMIT_S} s limit`);
            continue;
          }
        }
        // A slow engine (cpu, a software adapter): at most 2 samples, no warm-up (a sample may take 30 s).
        const timing = slow(engine) ? { iterations: Math.min(samples, 2), warmupIterations: 0 } : { iterations: samples, warmupIterations: 1 };
        let t: Awaited<ReturnType<typeof timeInference>>;
        try {
          t = train ? await timeTraining(model, engine, batch, hw, channels, classes, timing, spec.auxiliaryLosses) : await timeInference(model, engine, batch, hw, channels, timing);
        } catch (err) {
          // A row that does not fit (wasm's 4 GiB heap under-estimated, e.g. PSPNet's training step) is a skipped row, not the end of the table.
          if (!isOutOfMemory(err)) throw err;
          skip(`out of memory on ${engine} (${(err as Error).message.split('\n')[0]!.slice(0, 120)})`);
          continue;
        }
        // Multiply-accumulates of the timed work (a forward pass; x3 for a training step), per second.
        const gmacs = (countMacs(model) * batch * (train ? 3 : 1)) / 1e9;
        const row: BenchRow = { ...base, mean_ms: round(t.mean_ms), p50_ms: round(t.p50_ms), p99_ms: round(t.p99_ms), samples: t.samples, gmacs_per_s: Math.round((10 * gmacs) / (t.mean_ms / 1000)) / 10, ...(t as { memory?: Partial<BenchRow> }).memory };
        rows.push(row);
        log(`${count()} bench ${spec.name} ${engine} ${mode} ${row.size} batch ${batch}: mean ${row.mean_ms} ms, p50 ${row.p50_ms}, p99 ${row.p99_ms} (${row.samples} samples)`);
      } finally {
        model.dispose();
      }
    }
    // After every model: an interrupted benchmark keeps what it measured.
    if (o.report !== undefined) await writeBenchReport(o.report, rows, { threads: os.availableParallelism() });
  }
  out(o.json ? JSON.stringify(rows) : formatRows(rows));
}

const round = (ms: number) => Math.round(ms * 10) / 10;

interface Availability {
  ok: boolean;
  why?: string;
  /** The engine's adapter where it names one (webgpu), marked when it is a software one. */
  adapter?: string;
  /** For correctness rather than speed, as loaded (cpu, a software adapter). */
  slow?: boolean;
}

async function availableEngines(engines: Engine[]): Promise<Map<Engine, Availability>> {
  const m = new Map<Engine, Availability>();
  for (const e of engines) {
    if (e === 'onnx') {
      try {
        await loadOnnxRuntime();
        m.set(e, { ok: true });
      } catch (err) {
        m.set(e, { ok: false, why: (err as Error).message });
      }
    } else {
      try {
        const info = await initEngine({ backend: e, force: true });
        const adapter = info.adapter ? { adapter: `${info.adapter}${info.software ? ', software: not a speed figure' : ''}` } : {};
        m.set(e, { ok: true, slow: engineModule(e)!.slow(info), ...adapter });
      } catch (err) {
        const why = (err as Error).message;
        m.set(e, { ok: false, why: (why.startsWith(`SEG_BACKEND=${e}: `) ? why.slice(`SEG_BACKEND=${e}: `.length) : why).replace(/\.$/, '') });
      }
    }
  }
  return m;
}

/** Seconds one forward pass at `hw` should take on the active (slow) backend, from a timed pass at a smaller size. */
async function predictSeconds(build: (o: { classes: number; channels: number; size: [number, number] }) => tfl.LayersModel, o: { classes: number; channels: number }, hw: [number, number], fullMacs: number): Promise<number> {
  for (const f of [8, 4, 2]) {
    const size: [number, number] = [Math.round(hw[0] / f), Math.round(hw[1] / f)];
    const small = build({ ...o, size });
    try {
      const shape = small.outputs[0]!.shape;
      if ((shape[1] ?? 1) <= 0 || (shape[2] ?? 1) <= 0) continue;
      const x = tf.randomUniform([1, size[0], size[1], o.channels]) as tf.Tensor4D;
      try {
        // One untimed warm-up pass first: a GPU engine compiles its shaders on the first call, which would swamp a small pass.
        const t = await timeTask('predict', async () => {
          const y = small.predict(x) as tf.Tensor;
          await y.data();
          y.dispose();
        }, { iterations: 1, warmupIterations: 1 });
        return (t.mean_ms / 1000) * fullMacs / countMacs(small);
      } finally {
        x.dispose();
      }
    } finally {
      small.dispose();
    }
  }
  return Infinity;
}

type Timing = { iterations: number; warmupIterations: number };

async function timeInference(model: tfl.LayersModel, engine: Engine, batch: number, [h, w]: [number, number], c: number, timing: Timing) {
  if (engine === 'onnx') {
    // The graph alone, as a PyTorch export would be timed: NCHW in, logits out, on all cores.
    const session = await onnxSession(exportOnnx(model, { size: [h, w], batch }).bytes, { threads: os.availableParallelism() });
    const input = Float32Array.from({ length: batch * c * h * w }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    try {
      return await timeTask('onnx', () => runOnnx(session, input, [batch, c, h, w]), timing);
    } finally {
      await session.release();
    }
  }
  const x = tf.randomUniform([batch, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  try {
    // Read with await: a GPU engine cannot read back synchronously in Node.
    return await timeTask(engine, async () => {
      const y = model.predict(x) as tf.Tensor | tf.Tensor[];
      const first = Array.isArray(y) ? y[0]! : y;
      await first.data();
      tf.dispose(y);
    }, timing);
  } finally {
    x.dispose();
  }
}

/** Steps after which a train row on an engine with native memory (tensorflow) records RSS: it must not grow between them. */
const RSS_STEPS = [3, 10] as const;

async function timeTraining(model: tfl.LayersModel, engine: Engine, batch: number, [h, w]: [number, number], c: number, classes: number, timing: Timing, auxiliaryLosses?: Record<string, number>) {
  const images = tf.randomUniform([batch, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const out = model.outputs[0]!.shape;
  const labels = tf.randomUniform([batch, out[1]!, out[2]!], 0, classes, 'int32', 2) as tf.Tensor3D;
  const optimizer = tf.train.momentum(0.001, 0.9);
  const rssAt: Record<number, number> = {};
  let steps = 0;
  const step = async () => {
    await trainStep(model, optimizer, images, labels, (l, y) => softmaxCrossEntropy(l, y), auxiliaryLosses);
    steps++;
    if ((RSS_STEPS as readonly number[]).includes(steps)) rssAt[steps] = rssMb();
  };
  try {
    const canReset = resetPeakRss();
    const t = await timeTask('train', step, timing);
    // The peak of this row's steps (Linux resets the mark per row; elsewhere it is the process's).
    const peak = canReset ? peakRssMb() : undefined;
    // Where tensors live in native memory outside tfjs's accounting, untimed steps up to the last RSS mark.
    if (engineModule(engine)?.memory.native) while (steps < RSS_STEPS[RSS_STEPS.length - 1]) await step();
    const memory: Pick<BenchRow, 'peak_rss_mb' | 'rss_mb_by_step'> = {};
    if (peak != null) memory.peak_rss_mb = peak;
    if (Object.keys(rssAt).length) memory.rss_mb_by_step = rssAt;
    return { ...t, memory };
  } finally {
    tf.dispose([images, labels]);
    optimizer.dispose();
  }
}

function formatRows(rows: BenchRow[]): string {
  return rows
    .map((r) => `${r.model.padEnd(24)} ${r.engine.padEnd(10)} ${r.mode.padEnd(9)} ${r.size} x${r.batch}  ${r.skipped ? `skipped: ${r.skipped}` : `mean ${r.mean_ms} ms  p50 ${r.p50_ms}  p99 ${r.p99_ms}  (${r.samples})`}`)
    .join('\n');
}
