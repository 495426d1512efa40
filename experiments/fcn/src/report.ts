/** results.json -> charts (Vega-Lite, SVG, PNG) and report.md for the FCN replication. */
import path from 'node:path';
import { atomicWriteFile, claimVerdict, formatMeanSd, lossCurvesChart, meanSd, seedSpreadChart, type writeChart as WriteChart } from '@seg/core';
import { PAPER, VARIANTS, type Profile } from './profiles.js';
import type { RunResult, Scores } from './replicate.js';

const METRICS: { key: keyof Scores; label: string }[] = [
  { key: 'pixel_acc', label: 'pixel acc.' },
  { key: 'mean_acc', label: 'mean acc.' },
  { key: 'miou', label: 'mean IU' },
  { key: 'fw_iou', label: 'f.w. IU' },
  { key: 'boundary_f1', label: 'boundary F1 (1 px)' },
];

const pct = (runs: RunResult[], variant: string, key: keyof Scores) => meanSd(runs.filter((r) => r.variant === variant).map((r) => 100 * r.metrics[key]));

const compare = (runs: RunResult[], a: string, b: string, key: keyof Scores = 'miou') => claimVerdict(pct(runs, a, key), pct(runs, b, key), { unit: ' points' });

export async function writeReport(dir: string, runs: RunResult[], profile: Profile, writeChart: typeof WriteChart): Promise<void> {
  const rows = runs.flatMap((r) => METRICS.map((m) => ({ variant: r.variant, seed: r.seed, metric: m.label, value: 100 * r.metrics[m.key] })));
  const spec = seedSpreadChart({ title: `FCN on CamVid val (${profile.name} profile; dots: seeds, bar: mean, rule: ±1 sd), %`, rows, order: VARIANTS.map((v) => v.name), width: 140, height: 200 });
  const lossSpec = lossCurvesChart({ title: 'Training loss per run (staged runs restart their iteration count)', runs });
  await writeChart(path.join(dir, 'metrics'), spec, { png: true });
  await writeChart(path.join(dir, 'loss'), lossSpec, { png: true });
  const table = [
    `| variant | iterations | ${METRICS.map((m) => m.label).join(' | ')} | paper mean IU (Table 2) | reference model mean IU |`,
    `|---|---|${METRICS.map(() => '---').join('|')}|---|---|`,
    ...VARIANTS.map((v) => {
      const key = /^FCN-(32s|16s|8s)/.exec(v.name)![0] as keyof typeof PAPER.table2;
      const paper = v.name.includes('at-once') ? '-' : PAPER.table2[key];
      const ref = v.name.includes('at-once') ? '-' : PAPER.reference[key];
      const iters = runs.find((r) => r.variant === v.name)?.config.iters ?? '';
      return `| ${v.name} | ${iters}${v.from ? ` (from ${v.from})` : ''} | ${METRICS.map((m) => formatMeanSd(pct(runs, v.name, m.key), 2)).join(' | ')} | ${paper} | ${ref} |`;
    }),
  ];
  const opt = profile.optimizer;
  const md = `# FCN-32s / 16s / 8s (Long, Shelhamer & Darrell 2015) on CamVid

Profile \`${profile.name}\`: CamVid (SegNet's split, 11 classes) downscaled x${profile.downscale}, VGG16 width x${profile.width}, crops ${profile.crop.join('x')} with flips and scaling 0.75-1.25, batch ${profile.batch}, ${opt.name === 'adam' ? `Adam (lr ${opt.lr}, poly)` : `SGD (lr ${opt.lr}, momentum ${opt.momentum}, poly)`}, seeds ${profile.seeds.join(', ')}; trained on ${profile.trainImages} train images, every number on ${profile.valImages} val images. Staged as in Sec. 4.2: FCN-16s starts from the trained FCN-32s and FCN-8s from FCN-16s (new score layer at zero), each stage for half the FCN-32s iterations; the all-at-once nets (pool4 x0.01, pool3 x0.0001 before their score layers, as the reference FCN-8s-at-once) train from scratch for the staged pipeline's total. **From scratch**: the paper starts from ImageNet VGG16 and reports PASCAL VOC 2011; ours are not comparable in absolute terms, only the orderings are.

## Results (CamVid val, %, mean ± sd over ${profile.seeds.length} seeds)

${table.join('\n')}

![metrics](metrics.png)

## The paper's claims here

- FCN-16s beats FCN-32s (Table 2: 62.4 vs 59.4): ${compare(runs, 'FCN-16s (staged)', 'FCN-32s')}.
- FCN-8s beats FCN-16s (Table 2: 62.7 vs 62.4): ${compare(runs, 'FCN-8s (staged)', 'FCN-16s (staged)')}.
- The skips sharpen boundaries (Fig. 4): boundary F1 of FCN-8s vs FCN-32s ${compare(runs, 'FCN-8s (staged)', 'FCN-32s', 'boundary_f1')}.
- All-at-once FCN-8s is as good as staged (the reference implementation's finding; here at-once trains for the staged pipeline's total iterations): at-once beats staged ${compare(runs, 'FCN-8s at-once', 'FCN-8s (staged)')}.
- Learned vs fixed x2 upsampling (Sec. 3.3: learning them helps a little): learned ${compare(runs, 'FCN-8s at-once', 'FCN-8s at-once, fixed x2 upsampling')}.

The first val image (seed ${profile.seeds[0]}), side by side: ground truth, FCN-32s, FCN-16s, FCN-8s (staged); each variant's overlay alone is in overlays/.

![skips](overlays/skips.png)

![loss](loss.png)

Every run's config, metrics, training time and package versions: results.json. Regenerate with \`pnpm turbo run replicate --filter fcn\` (SEG_PROFILE=${profile.name}).
`;
  await atomicWriteFile(path.join(dir, 'report.md'), md);
}
