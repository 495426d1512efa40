import { parseVerbArgs } from '../args.js';
import { BENCH_ENGINES, type BenchEngine } from '../bench-engines.js';
import type { StartEngine } from '../engine-line.js';
import { UsageError } from '../errors.js';
import { checkModelName } from '../registry.js';
import { parsePositive, parseSize } from '../load.js';

export const help = `seg bench [--models a,b] [--engines ${BENCH_ENGINES.join(',')}] [--size HxW] [--batch N]
          [--train] [--samples N] [--report DIR] [--json]

Inference latency (tinybench; one warm-up, then --samples timed runs, 5 by
default) of every registered model, the papers' configurations and their
variants (or --models), on every engine (or --engines):
onnx (the model exported to ONNX, run by onnxruntime-node on all cores),
wasm, tensorflow (when @tensorflow/tfjs-node is installed), webgpu (on the
adapter Dawn finds; rows name it, and on a software adapter they are not a
speed figure) and cpu. cpu and a software webgpu adapter run only where one
sample is predicted to take under 30 s, from the model's multiply-accumulates
and a timed pass at a smaller size. Batch 1 at each model's own default
input size, with its channels and classes, unless --size / --batch say
otherwise. --train times one training step (forward, loss, backward, SGD
update) instead, at 256x256 with batch 2 by default (onnx cannot train).
--report DIR merges the rows into DIR/latency.json and rewrites latency.md
and the chart (latency.vl.json, latency.svg). A line per model and engine
goes to stderr as it finishes.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values: v } = parseVerbArgs('bench', argv, {
    models: { type: 'string' },
    engines: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    train: { type: 'boolean' },
    samples: { type: 'string' },
    report: { type: 'string' },
    json: { type: 'boolean' },
  });
  const train = Boolean(v.train);
  const size = parseSize(v.size as string | undefined);
  const batch = parsePositive(v.batch as string | undefined, '--batch', train ? 2 : 1);
  const samples = parsePositive(v.samples as string | undefined, '--samples', 5);
  const engines = ((v.engines as string | undefined)?.split(',') ?? [...BENCH_ENGINES]) as BenchEngine[];
  for (const e of engines) if (!BENCH_ENGINES.includes(e)) throw new UsageError(`--engines takes ${BENCH_ENGINES.join(', ')} (got "${e}").`);
  const models = (v.models as string | undefined)?.split(',');
  for (const name of models ?? []) checkModelName(name);
  await engine();
  const { runBench } = await import('../bench-run.js');
  await runBench({ models, engines, size, batch, samples, train, report: v.report as string | undefined, json: Boolean(v.json) }, out);
}
