/** results.json -> charts and report.md for the SegNet replication: Table 1 beside ours, each claim with its seed spread. */
import path from 'node:path';
import { atomicWriteFile, CAMVID_CLASSES, judgeClaim, pooledSd, seedsNeeded, sideStats, sideValues, formatMeanSd, lossCurvesChart, seedSpreadChart, verdictMethod, type Claim, type writeChart as WriteChart } from '@seg/core';
import { asRun, CLAIMS, OTHER_DECODER_CLAIMS, PROFILES, TABLE1, VARIANTS, type Balancing, type DecoderCost, type Profile, type RunResult, type Scores, type StoredRun } from './profiles.js';

const METRICS: { key: keyof Scores; label: string }[] = [
  { key: 'global', label: 'G' },
  { key: 'class_avg', label: 'C' },
  { key: 'miou', label: 'mIoU' },
  { key: 'bf', label: 'BF' },
];

const pct = (runs: RunResult[], variant: string, key: keyof Scores) => sideStats(runs, variant, `test.${key}`, 100);
const claim = (runs: RunResult[], id: string) => judgeClaim(runs, CLAIMS.find((c) => c.id === id)!);
const mib = (b: number) => (b / 2 ** 20).toFixed(2);

/** Where the computed weights differ most from the tutorial's, in one sentence. */
function diffLine(b: Balancing): string {
  const ratios = b.computed.map((w, c) => ({ c, ratio: w / b.tutorial[c]! }));
  const far = [...ratios].sort((x, y) => Math.abs(Math.log(y.ratio)) - Math.abs(Math.log(x.ratio))).slice(0, 3);
  return `The largest differences: ${far.map((f) => `${CAMVID_CLASSES[f.c]} x${f.ratio.toFixed(2)}`).join(', ')} (computed / tutorial); the tutorial's were computed by its authors with their own script, whose counting (e.g. of images where a class is absent) we cannot see.`;
}

function memoryClaim(costs: DecoderCost[]): string {
  const get = (n: string) => costs.find((c) => c.variant === n);
  const [basic, fcn, add] = [get('SegNet-Basic'), get('FCN-Basic'), get('SegNet-Basic-EncoderAddition')];
  if (!basic || !fcn || !add) return '';
  return `Measured: SegNet-Basic keeps ${mib(basic.packed_bytes)} MiB with packed indices vs FCN-Basic's ${mib(fcn.packed_bytes)} MiB (x${(fcn.packed_bytes / basic.packed_bytes).toFixed(1)}) and EncoderAddition's ${mib(add.packed_bytes)} MiB (x${(add.packed_bytes / basic.packed_bytes).toFixed(1)}); with our int32 indices, ${mib(basic.storage_bytes)} vs ${mib(fcn.storage_bytes)} MiB.`;
}

/** reports/segnet/results.json: its runs in the runner's shape or the one before it (`test` beside `config`). */
export interface Results {
  profile: Profile;
  runs: StoredRun[];
  costs: DecoderCost[];
  balancing: Balancing;
  weights: string;
}

/** The gap Table 1 reports for a claim (median-frequency columns), in the claimed direction. */
function table1Gap(c: Claim): number {
  const k = METRICS.findIndex((m) => `test.${m.key}` === c.metric);
  const [a, b] = [TABLE1[c.a as string]!.median[k]!, TABLE1[c.b as string]!.median[k]!];
  return c.lowerIsBetter ? b - a : a - b;
}

/**
 * Table 1's other decoders: claims over seeds when they ran 3 or more; with
 * fewer, their gaps are listed without a verdict, beside how many seeds the
 * gap Table 1 reports would need at the main comparison's seed spread.
 */
function otherDecoders(runs: RunResult[], p: Profile): string {
  const seeds = p.otherSeeds ?? [p.seeds[0]!];
  if (seeds.length >= 3) {
    return `- Table 1's other decoders (${seeds.length} seeds): ${OTHER_DECODER_CLAIMS.map((c) => `${c.id} (Table 1: ${table1Gap(c).toFixed(1)} points): ${judgeClaim(runs, c)}`).join('; ')}.`;
  }
  // The seed sd of the main comparison (SegNet-Basic and FCN-Basic), pooled.
  const main = (v: string) => sideValues(runs, v, 'test.miou', 100).map((x) => x.value);
  const sd = pooledSd(main('SegNet-Basic'), main('FCN-Basic'));
  return `- Table 1's other decoders ran ${seeds.length === 1 ? 'one seed' : `${seeds.length} seeds`} here, so no claim about them is tested; their gaps, for what one seed shows: ${OTHER_DECODER_CLAIMS
    .map((c) => `${c.id} (Table 1: ${table1Gap(c).toFixed(1)} points): ${sideStats(runs, c.a, c.metric, 100).mean.toFixed(1)} vs ${sideStats(runs, c.b, c.metric, 100).mean.toFixed(1)}, seeds needed for Table 1's gap: about ${seedsNeeded(table1Gap(c) / sd)}`)
    .join('; ')} (α 0.05, power 0.8, at the main comparison's pooled seed sd of ${sd.toFixed(2)} points). The quick budget holds 3 seeds of the main comparison only; \`otherSeeds\` in profiles.ts runs these at more (the full profile: ${PROFILES.full.otherSeeds.join(', ')}).`;
}

export async function writeReport(dir: string, r: Results, writeChart: typeof WriteChart): Promise<void> {
  const { profile: p, costs, balancing } = r;
  const runs = r.runs.map(asRun);
  const order = VARIANTS.map((v) => v.name).filter((n) => runs.some((x) => x.variant === n));
  const rows = runs.filter((x) => !x.diverged).flatMap((x) => METRICS.map((m) => ({ variant: x.variant, seed: x.seed, metric: m.label, value: 100 * x.metrics.test[m.key] })));
  await writeChart(path.join(dir, 'metrics'), seedSpreadChart({ title: `SegNet variants on CamVid test (${p.name} profile; dots: seeds, bar: mean, rule: ±1 sd), %`, rows, order, width: 150, height: 200 }), { png: true });
  await writeChart(path.join(dir, 'loss'), lossCurvesChart({ title: 'Training loss per run', runs }), { png: true });
  const seedsOf = (name: string) => runs.filter((x) => x.variant === name && !x.diverged).length;
  const paperCols = (name: string, natural: boolean) => {
    const base = name.replace(' (natural frequency)', '');
    const t = TABLE1[base];
    return t ? (natural ? t.natural : t.median).join(' / ') : '-';
  };
  const table = [
    '| variant | seeds | G | C | mIoU | BF | paper G / C / mIoU / BF |',
    '|---|---|---|---|---|---|---|',
    ...order.map((n) => `| ${n} | ${seedsOf(n)} | ${METRICS.map((m) => formatMeanSd(pct(runs, n, m.key), 1)).join(' | ')} | ${paperCols(n, n.includes('natural'))} |`),
  ];
  const engines = [...new Set(costs.flatMap((c) => Object.keys(c.ms)))];
  // The runs' engine, when the times were taken on others (the merge ran with another SEG_BACKEND).
  const trainedOn = runs[0]?.engine.backend;
  const timedElsewhere = trainedOn && !engines.includes(trainedOn)
    ? ` The times were taken on ${engines.join(' and ')}, not on ${trainedOn}, which trained the runs (the merge ran with another SEG_BACKEND).`
    : '';
  const basicBytes = costs.find((c) => c.variant === 'SegNet-Basic')?.storage_bytes ?? 0;
  const basicPacked = costs.find((c) => c.variant === 'SegNet-Basic')?.packed_bytes ?? 0;
  const costTable = [
    `| decoder | params (ours) | params (paper, M) | decoder keeps from the encoder, MiB per ${p.timing.size.join('x')} image | of which indices / maps | vs SegNet-Basic | with 2-bit indices, MiB | vs SegNet-Basic | paper's storage multiplier | ${engines.map((e) => `${e} ms`).join(' | ')} |`,
    `|---|---|---|---|---|---|---|---|---|${engines.map(() => '---').join('|')}|`,
    ...costs.map((c) => {
      const t = TABLE1[c.variant]!;
      const ratio = basicBytes ? (c.storage_bytes / basicBytes).toFixed(2) : '-';
      const packedRatio = basicPacked ? (c.packed_bytes / basicPacked).toFixed(1) : '-';
      return `| ${c.variant} | ${c.params.toLocaleString('en-US')} | ${t.params} | ${mib(c.storage_bytes)} | ${mib(c.index_bytes)} / ${mib(c.map_bytes)} | ${ratio} | ${mib(c.packed_bytes)} | ${packedRatio} | ${t.storage} | ${engines.map((e) => (c.ms[e] == null ? '-' : c.ms[e]!.toFixed(0))).join(' | ')} |`;
    }),
  ];
  const weightsTable = [
    `| class | ${CAMVID_CLASSES.join(' | ')} |`,
    `|---|${CAMVID_CLASSES.map(() => '---').join('|')}|`,
    `| computed from train | ${balancing.computed.map((w) => w.toFixed(4)).join(' | ')} |`,
    `| SegNet tutorial | ${balancing.tutorial.map((w) => w.toFixed(4)).join(' | ')} |`,
  ];
  const basic = pct(runs, 'SegNet-Basic', 'miou');
  const opt = p.optimizer;
  const size = `${Math.round(360 / p.downscale)}x${Math.round(480 / p.downscale)}`;
  const md = `# SegNet (Badrinarayanan, Kendall & Cipolla 2017) on CamVid: Table 1

Profile \`${p.name}\`: CamVid in SegNet's split${p.downscale > 1 ? `, downscaled x${p.downscale} (${size})` : ' at 360x480'}, SegNet-Basic with ${p.features} feature maps per layer (the paper: 64), ${p.iters} iterations of batch ${p.batch} on random ${p.crop.join('x')} crops with flips, SGD (lr ${opt.lr}, momentum ${opt.momentum}, weight decay ${opt.weightDecay}, a fixed rate as in Sec. 3.2${opt.lr !== 0.1 ? '; the paper\'s lr 0.1 made FCN-Basic diverge here, and 0.01 was chosen on val, see profiles.ts' : ''}), from scratch as in the paper. Median-frequency balancing uses the tutorial's weights with Caffe's normalisation (the weighted loss divided by the labelled pixels). **Protocol:** every run evaluates val ${p.evaluations} times and keeps the checkpoint with the best global accuracy on val (the paper's rule); only that checkpoint is evaluated on test (${runs[0] ? `${p.testImages}` : ''} images), once; nothing was chosen on test. Seeds: ${p.seeds.join(', ')} for SegNet-Basic, FCN-Basic, Bilinear-Interpolation and natural frequency; ${(p.otherSeeds ?? [p.seeds[0]]).join(', ')} for the other decoders.

## Results (CamVid test, %, mean ± sd over seeds) beside Table 1

${table.join('\n')}

Goal: SegNet-Basic ≥ 40% mIoU on test in the quick profile; measured ${formatMeanSd(basic, 1)}% (${p.name} profile).

![metrics](metrics.png)

## The paper's claims here

${verdictMethod({ seeds: p.seeds.length, scope: 'on test' })}

- SegNet-Basic matches FCN-Basic (Table 1: 47.7 vs 47.3 mIoU) at a fraction of the decoder memory: SegNet-Basic beats FCN-Basic on mIoU ${claim(runs, 'SegNet-Basic vs FCN-Basic, mIoU')}; on BF ${claim(runs, 'SegNet-Basic vs FCN-Basic, BF')}.
- Both learned decoders beat fixed bilinear upsampling (Table 1: 47.7 and 47.3 vs 43.3 mIoU): SegNet-Basic ${claim(runs, 'SegNet-Basic vs bilinear, mIoU')}; FCN-Basic ${claim(runs, 'FCN-Basic vs bilinear, mIoU')}; on BF (35.78 vs 20.83) SegNet-Basic ${claim(runs, 'SegNet-Basic vs bilinear, BF')}.
- Median-frequency balancing raises the class average accuracy (C 62.0 vs 54.6) and lowers global accuracy (G 82.7 vs 84.0): C ${claim(runs, 'median frequency raises C')}; G (natural above median) ${claim(runs, 'natural frequency raises G')}.
${otherDecoders(runs, p)}

## The memory claim, measured

What each decoder keeps from the encoder at inference, measured on the actual tensors of the paper's net (64 features, ${p.timing.size.join('x')}, one image; indices as our int32, maps as float32; FCN-Basic's 1x1 reductions counted on the encoder's side, so it keeps 11-channel maps; the reference maps MaxUnpool reads only for their size count as nothing), its parameters, and the median inference time over ${p.timing.samples} runs per engine at batch 1. With int32 indices (one per channel per 2x2 window, a quarter of a full-resolution map) SegNet-Basic keeps *more* than FCN-Basic's 11-channel maps; the paper's "fraction of the memory" holds for indices packed to 2 bits (a position in the window), the second ratio column, which is how its storage multiplier counts them. We store int32 because tfjs has no 2-bit tensors.

${memoryClaim(costs)}${timedElsewhere}

${costTable.join('\n')}

## Median-frequency weights

Computed by @seg/core (\`datasetMedianFrequency\`) from the ${p.trainImages} full-resolution training label maps (freq_c = pixels of c / pixels of the images containing c, void excluded; weight = median / freq_c), beside the tutorial's; the runs use the tutorial's. ${diffLine(balancing)}

${weightsTable.join('\n')}

## Weights and overlays

The best SegNet-Basic run by val global accuracy: \`reports/segnet/${r.weights}\`. \`seg eval --weights reports/segnet/${r.weights} --data camvid --split test${p.downscale > 1 ? ` --downscale ${p.downscale}` : ''} --bf\` recomputes its test row without training. One test image, ground truth then each decoder (first seed): overlays/.

![ground truth](overlays/ground-truth.png) ![SegNet-Basic](overlays/segnet-basic.png) ![FCN-Basic](overlays/fcn-basic.png) ![Bilinear](overlays/bilinear-interpolation.png)

![loss](loss.png)

Every run's config, val curve, test scores, time and package versions: results.json. Regenerate with \`pnpm turbo run replicate --filter segnet\` (SEG_PROFILE=${p.name}).
`;
  await atomicWriteFile(path.join(dir, 'report.md'), md);
}
