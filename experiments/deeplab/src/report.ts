/** results.json -> charts (Vega-Lite, SVG, PNG) and report.md for the DeepLab replication. */
import path from 'node:path';
import { atomicWriteFile, claimVerdict, formatMeanSd, meanSd, seedSpreadChart, type VegaLiteSpec, type writeChart as WriteChart } from '@seg/core';
import type { CrfParams } from '@seg/crf';
import { PAPER_V2_TABLE3, type Profile } from './profiles.js';
import type { RunResult, Scores } from './replicate.js';

type Key = keyof Scores;
const pct = (runs: RunResult[], variant: string, evaluation: string, key: Key = 'miou') =>
  meanSd(runs.filter((r) => r.variant === variant && r.metrics[evaluation]).map((r) => 100 * r.metrics[evaluation]![key]));
const cell = (runs: RunResult[], variant: string, evaluation: string, key: Key = 'miou') => formatMeanSd(pct(runs, variant, evaluation, key), 2);

const compare = (runs: RunResult[], a: [string, string], b: [string, string], key: Key = 'miou') =>
  claimVerdict(pct(runs, a[0], a[1], key), pct(runs, b[0], b[1], key), { unit: ' points' });

export async function writeReport(
  dir: string,
  runs: RunResult[],
  profile: Profile,
  crf: { best: CrfParams; withoutCrf: number; grid: { weight: unknown; thetaAlpha: number; thetaBeta: number; miou: number }[] } | undefined,
  writeChart: typeof WriteChart,
): Promise<void> {
  const main = (r: RunResult) => (r.metrics.os16 ? 'os16' : 'os8');
  const rows = runs.flatMap((r) => [
    { variant: r.variant, seed: r.seed, evaluation: `as trained (output stride ${main(r).slice(2)})`, miou: 100 * r.metrics[main(r)]!.miou },
    ...(r.metrics.crf ? [{ variant: r.variant, seed: r.seed, evaluation: '+ CRF', miou: 100 * r.metrics.crf.miou }] : []),
    ...(r.metrics.os16 && r.metrics.os8 ? [{ variant: r.variant, seed: r.seed, evaluation: 'evaluated at output stride 8', miou: 100 * r.metrics.os8.miou }] : []),
  ]);
  const miouSpec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `DeepLab on CamVid val (${profile.name} profile): mIoU % per variant (dots: seeds, bar: mean)`,
    data: { values: rows },
    width: 420,
    height: 220,
    layer: [
      { mark: { type: 'bar', opacity: 0.35 }, encoding: { x: { field: 'variant', type: 'nominal', title: null, axis: { labelAngle: -30 } }, xOffset: { field: 'evaluation' }, y: { aggregate: 'mean', field: 'miou', type: 'quantitative', title: 'mIoU %' }, color: { field: 'evaluation', type: 'nominal' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'variant', type: 'nominal' }, xOffset: { field: 'evaluation' }, y: { field: 'miou', type: 'quantitative' }, color: { field: 'evaluation', type: 'nominal' } } },
    ],
  } as VegaLiteSpec;
  const paired = runs.filter((r) => r.metrics.crf).flatMap((r) => [
    { variant: r.variant, seed: r.seed, stage: '1 before CRF', miou: 100 * r.metrics.os8!.miou },
    { variant: r.variant, seed: r.seed, stage: '2 after CRF', miou: 100 * r.metrics.crf!.miou },
  ]);
  const crfSpec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'v2 heads before and after the dense CRF (one line per seed)',
    data: { values: paired },
    width: 300,
    height: 220,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'stage', type: 'ordinal', title: null },
      y: { field: 'miou', type: 'quantitative', title: 'mIoU %', scale: { zero: false } },
      color: { field: 'variant', type: 'nominal' },
      detail: { field: 'seed', type: 'nominal' },
    },
  };
  const decoderRows = runs
    .filter((r) => r.variant === 'v3 ASPP + image pooling' || r.variant === 'v3+ decoder')
    .flatMap((r) => [
      { variant: r.variant, seed: r.seed, metric: 'mIoU %', value: 100 * r.metrics.os16!.miou },
      { variant: r.variant, seed: r.seed, metric: 'boundary F1 % (1 px)', value: 100 * r.metrics.os16!.boundary_f1 },
    ]);
  const decoderSpec = seedSpreadChart({ title: 'v3+ decoder off (v3 + image pooling) vs on (dots: seeds, bar: mean, rule: ±1 sd)', rows: decoderRows, height: 200 });
  await writeChart(path.join(dir, 'miou'), miouSpec, { png: true });
  await writeChart(path.join(dir, 'crf'), crfSpec, { png: true });
  await writeChart(path.join(dir, 'decoder'), decoderSpec, { png: true });

  const seeds = `mean ± sd over ${profile.seeds.length} seed${profile.seeds.length > 1 ? 's' : ''}`;
  const v2 = (['v2 LargeFOV', 'v2 ASPP-S', 'v2 ASPP-L'] as const).map(
    (v) => `| ${v.slice(3)} | ${cell(runs, v, 'os8')} | ${cell(runs, v, 'crf')} | ${PAPER_V2_TABLE3[v].before} | ${PAPER_V2_TABLE3[v].after} |`,
  );
  const v3 = ['v3 ASPP, no image pooling', 'v3 ASPP + image pooling'].map((v) => `| ${v} | ${cell(runs, v, 'os16')} | ${cell(runs, v, 'os8')} |`);
  const opt = profile.optimizer;
  const md = `# DeepLab v1/v2/v3/v3+ (Chen et al.) on CamVid

Profile \`${profile.name}\`: CamVid (SegNet's split, 11 classes) downscaled x${profile.downscale} (${Math.round(360 / profile.downscale)}x${Math.round(480 / profile.downscale)}), width multiplier ${profile.width}, training crops ${profile.crop.join('x')} with flips and scaling 0.75-1.25, ${profile.iters} iterations of batch ${profile.batch}, ${opt.name === 'adam' ? `Adam (lr ${opt.lr}, poly)` : `SGD (lr ${opt.lr}, momentum ${opt.momentum}, poly)`}, seeds ${profile.seeds.join(', ')}. Trained on the first ${profile.trainImages} images of the train split; the CRF's parameters were chosen on the last ${profile.crfImages} (never on val); every number below is on the ${profile.valImages} val images. **From scratch**: the papers fine-tune ImageNet/COCO pre-trained networks on PASCAL VOC 2012, which we cannot download here, so absolute numbers are far below theirs and only the orderings are compared.

## v2 Table 3: LargeFOV vs ASPP-S vs ASPP-L, before and after the CRF (VGG16, mIoU %)

| head | ours, before CRF | ours, after CRF | paper, before | paper, after |
|---|---|---|---|---|
${v2.join('\n')}

${crf ? `CRF chosen on the held-out training images from a grid of bilateral weights ${profile.crfGrid.weight.join('/')}, theta_alpha ${profile.crfGrid.thetaAlpha.join('/')} px, theta_beta ${profile.crfGrid.thetaBeta.join('/')} (Gaussian w 3, theta 1; 10 iterations), with the first LargeFOV model: bilateral w ${String(crf.best.bilateral.weight)}, theta_alpha ${crf.best.bilateral.thetaAlpha}, theta_beta ${crf.best.bilateral.thetaBeta} (mIoU there ${(100 * crf.withoutCrf).toFixed(2)} -> ${(100 * Math.max(...crf.grid.map((g) => g.miou))).toFixed(2)}).` : ''}

- ASPP-L beats LargeFOV before the CRF (paper: 68.96 vs 65.76): ${compare(runs, ['v2 ASPP-L', 'os8'], ['v2 LargeFOV', 'os8'])}.
- ASPP-S beats LargeFOV before the CRF (paper: 66.98 vs 65.76): ${compare(runs, ['v2 ASPP-S', 'os8'], ['v2 LargeFOV', 'os8'])}.
- ASPP-L beats ASPP-S after the CRF (paper: 71.57 vs 69.73): ${compare(runs, ['v2 ASPP-L', 'crf'], ['v2 ASPP-S', 'crf'])}.
- The CRF improves every head (paper: +4.08, +2.75, +2.61): LargeFOV ${compare(runs, ['v2 LargeFOV', 'crf'], ['v2 LargeFOV', 'os8'])}; ASPP-S ${compare(runs, ['v2 ASPP-S', 'crf'], ['v2 ASPP-S', 'os8'])}; ASPP-L ${compare(runs, ['v2 ASPP-L', 'crf'], ['v2 ASPP-L', 'os8'])}.

![crf](crf.png)

## v3: image pooling, and output stride 16 vs 8 at evaluation (ResNet-50, multi-grid 1,2,4, mIoU %)

| variant | trained and evaluated at output stride 16 | the same weights at output stride 8 |
|---|---|---|
${v3.join('\n')}

The v3 and v3+ papers report these ablations on PASCAL VOC 2012 val with ImageNet (and COCO/JFT) pre-training (v3 Tables 5 and 6, v3+ Table 3); their figures are not quoted here (only v2 Table 3's are in our spec), so for v3 and v3+ we check the direction of each claim.

- Image pooling helps (v3 Table 5): ${compare(runs, ['v3 ASPP + image pooling', 'os16'], ['v3 ASPP, no image pooling', 'os16'])}.
- Evaluating at output stride 8 beats 16 for the same weights (v3 Table 6): with image pooling ${compare(runs, ['v3 ASPP + image pooling', 'os8'], ['v3 ASPP + image pooling', 'os16'])}; without ${compare(runs, ['v3 ASPP, no image pooling', 'os8'], ['v3 ASPP, no image pooling', 'os16'])}.

## v3+: the decoder (output stride 16)

| variant | mIoU % | boundary F1 % (1 px) |
|---|---|---|
| decoder off (v3 + image pooling) | ${cell(runs, 'v3 ASPP + image pooling', 'os16')} | ${cell(runs, 'v3 ASPP + image pooling', 'os16', 'boundary_f1')} |
| decoder on (v3+) | ${cell(runs, 'v3+ decoder', 'os16')} | ${cell(runs, 'v3+ decoder', 'os16', 'boundary_f1')} |

- The decoder improves mIoU (v3+ Table 3): ${compare(runs, ['v3+ decoder', 'os16'], ['v3 ASPP + image pooling', 'os16'])}.
- The decoder sharpens boundaries (v3+ Sec. 4.1, Fig. 5): boundary F1 ${compare(runs, ['v3+ decoder', 'os16'], ['v3 ASPP + image pooling', 'os16'], 'boundary_f1')}.

![decoder](decoder.png)

![miou](miou.png)

All numbers: ${seeds}. Overlays of the first val image (seed ${profile.seeds[0]}) are in overlays/ (ground-truth.png, and one per variant, with "-crf" for the v2 heads after the CRF). Every run's config, metrics, training time and package versions: results.json. Regenerate with \`pnpm turbo run replicate --filter deeplab\` (SEG_PROFILE=${profile.name}).
`;
  await atomicWriteFile(path.join(dir, 'report.md'), md);
}
