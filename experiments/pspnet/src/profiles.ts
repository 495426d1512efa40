/**
 * The PSPNet replication as data. The paper's ablations ran on ADE20K,
 * which is not available here (no download at run time, none in
 * seg data): they run on CamVid (SegNet's split, 11 classes, 360x480:
 * train 367, val 101, test 233), downscaled in the short profiles.
 * Protocol: every setting is chosen on val; test is evaluated once per run,
 * with the last checkpoint, for the final numbers.
 *
 * Table 2: the auxiliary-loss weight alpha on the baseline FCN (dilated
 * ResNet-50, no pyramid pooling). Table 1: the pyramid's bins, pooling and
 * dimension reduction (DR), all with the auxiliary loss at alpha 0.4.
 */
import type { Claim, ProfileBase, RunResultOf } from '@seg/core';
import type { PSPNetOptions } from '@seg/pspnet';

export type Table = 'table2' | 'table1';

export interface Variant {
  name: string;
  table: Table;
  /** The pyramid (bins, pooling, reduction); bins [] is the baseline FCN. */
  model: Pick<PSPNetOptions, 'bins' | 'pooling' | 'reduction'>;
  /** Auxiliary-loss weight alpha; null: no auxiliary head. */
  alpha: number | null;
}

const BASELINE = { bins: [] } as const;

export const VARIANTS: Variant[] = [
  // Table 2: alpha on the baseline without the pyramid.
  { name: 'baseline, no auxiliary loss', table: 'table2', model: BASELINE, alpha: null },
  { name: 'baseline, alpha 0.3', table: 'table2', model: BASELINE, alpha: 0.3 },
  { name: 'baseline, alpha 0.4', table: 'table2', model: BASELINE, alpha: 0.4 },
  { name: 'baseline, alpha 0.6', table: 'table2', model: BASELINE, alpha: 0.6 },
  { name: 'baseline, alpha 0.9', table: 'table2', model: BASELINE, alpha: 0.9 },
  // Table 1: the pyramid variants, alpha 0.4 (its baseline row is Table 2's alpha 0.4).
  { name: 'B1+MAX', table: 'table1', model: { bins: [1], pooling: 'max', reduction: false }, alpha: 0.4 },
  { name: 'B1+AVE', table: 'table1', model: { bins: [1], pooling: 'avg', reduction: false }, alpha: 0.4 },
  { name: 'B1236+MAX', table: 'table1', model: { bins: [1, 2, 3, 6], pooling: 'max', reduction: false }, alpha: 0.4 },
  { name: 'B1236+AVE', table: 'table1', model: { bins: [1, 2, 3, 6], pooling: 'avg', reduction: false }, alpha: 0.4 },
  { name: 'B1236+MAX+DR', table: 'table1', model: { bins: [1, 2, 3, 6], pooling: 'max', reduction: true }, alpha: 0.4 },
  { name: 'B1236+AVE+DR', table: 'table1', model: { bins: [1, 2, 3, 6], pooling: 'avg', reduction: true }, alpha: 0.4 },
];

export interface Profile extends ProfileBase {
  testImages: number;
  /** Seeds of the Table 1 rows (the Table 2 rows use `seeds`). */
  table1Seeds: number[];
  /** 8: the paper; 16 (layer3 keeps its stride) where the budget asks. */
  outputStride: 8 | 16;
  /**
   * 'imagenet': full-width ResNet-50 fine-tuned from ImageNet (frozen batch
   * norm, the backbone at `backboneLr` of the head's rate); 'scratch': a
   * narrow net from scratch (smoke only, to keep the test short).
   */
  init: 'imagenet' | 'scratch';
  width: number;
  backboneLr: number;
  /** Median-frequency class weights from the training images. */
  classWeights: 'median' | 'none';
  /** Random rescaling of the training images. */
  scale: [number, number];
}

const SGD = { name: 'sgd', momentum: 0.9, weightDecay: 1e-4 } as const;

/** Sec. 5.1: the "poly" learning rate, lr x (1 - iter / iters) ^ 0.9. */
export const POLY_POWER = 0.9;

export const PROFILES: Record<Profile['name'], Profile> = {
  smoke: { name: 'smoke', downscale: 8, crop: [40, 56], iters: 2, batch: 2, optimizer: { ...SGD, lr: 0.01 }, seeds: [1], table1Seeds: [1], outputStride: 8, init: 'scratch', width: 1 / 16, backboneLr: 1, classWeights: 'median', scale: [0.75, 1.25], trainImages: 4, valImages: 2, testImages: 2 },
  // Chosen on val: lr 0.01 (reports/pspnet/recipe.json, baseline with alpha 0.4, seed 1, 40
  // iterations: 32.9% at 0.01, 31.1% at 0.03, 12.7% at 0.1). From the DeepLab recipe search on the
  // same val set (reports/deeplab/recipe.json: the same ImageNet ResNet-50, batch-norm heads): frozen
  // batch norm (+4.0 points), median-frequency weights (+6.5), the backbone at 0.1x. Output stride 16
  // and 32 iterations; 3 seeds on every row, Table 1 included, so that every claim has a test over
  // seeds: 33 full-width ResNet-50 runs, about 44 minutes on 2 cores (over the 30-minute quick
  // budget; a step of batch 8 at 88x120 takes about 1.2 s at stride 16, scoring val about 12 s).
  quick: { name: 'quick', downscale: 4, crop: [88, 120], iters: 32, batch: 8, optimizer: { ...SGD, lr: 0.01 }, seeds: [1, 2, 3], table1Seeds: [1, 2, 3], outputStride: 16, init: 'imagenet', width: 1, backboneLr: 0.1, classWeights: 'median', scale: [0.75, 1.25], trainImages: 367, valImages: 101, testImages: 233 },
  // Sec. 5.1: poly lr 0.01 (head at 10x the backbone), momentum 0.9, decay 1e-4, batch 16, random
  // mirror and resize 0.5-2, output stride 8; CamVid at full size with 360x480 crops.
  full: { name: 'full', downscale: 1, crop: [360, 480], iters: 20000, batch: 16, optimizer: { ...SGD, lr: 0.1 }, seeds: [1, 2, 3], table1Seeds: [1, 2, 3], outputStride: 8, init: 'imagenet', width: 1, backboneLr: 0.1, classWeights: 'median', scale: [0.5, 2], trainImages: 367, valImages: 101, testImages: 233 },
};

/** PSPNet Table 2 (ADE20K val, baseline ResNet-50 FCN): mean IoU / pixel accuracy %. */
export const PAPER_TABLE2: Record<string, { miou: number; pixelAcc: number }> = {
  'baseline, no auxiliary loss': { miou: 35.82, pixelAcc: 77.07 },
  'baseline, alpha 0.3': { miou: 37.01, pixelAcc: 77.87 },
  'baseline, alpha 0.4': { miou: 37.23, pixelAcc: 78.01 },
  'baseline, alpha 0.6': { miou: 37.09, pixelAcc: 77.84 },
  'baseline, alpha 0.9': { miou: 36.99, pixelAcc: 77.87 },
};

/** PSPNet Table 1 (ADE20K val, with the auxiliary loss): mean IoU / pixel accuracy %. */
export const PAPER_TABLE1: Record<string, { miou: number; pixelAcc: number }> = {
  'baseline, alpha 0.4': { miou: 37.23, pixelAcc: 78.01 },
  'B1+MAX': { miou: 39.94, pixelAcc: 79.46 },
  'B1+AVE': { miou: 40.07, pixelAcc: 79.52 },
  'B1236+MAX': { miou: 40.18, pixelAcc: 79.45 },
  'B1236+AVE': { miou: 41.07, pixelAcc: 79.97 },
  'B1236+MAX+DR': { miou: 40.87, pixelAcc: 79.61 },
  'B1236+AVE+DR': { miou: 41.68, pixelAcc: 80.04 },
};

export const seedsOf = (v: Variant, p: Pick<Profile, 'seeds' | 'table1Seeds'>) => (v.table === 'table1' ? p.table1Seeds : p.seeds);

/**
 * The paper's claims, each judged on val mIoU over seeds (test is evaluated
 * once, for the variant chosen on val). Every claim compares variants trained
 * apart (another auxiliary weight, another pyramid), so none is paired.
 */
const onVal = (id: string, a: string, b: string): Claim => ({ id, a, b, metric: 'val.miou', paired: false, scale: 100, unit: ' points' });

export const CLAIMS: Claim[] = [
  onVal('auxiliary loss helps', 'baseline, alpha 0.4', 'baseline, no auxiliary loss'),
  // "0.4 is the best alpha": against every other weight.
  ...VARIANTS.filter((v) => v.table === 'table2' && v.alpha !== null && v.alpha !== 0.4).map((v) => onVal(`alpha 0.4 vs ${v.alpha}`, 'baseline, alpha 0.4', v.name)),
  onVal('pyramid pooling helps', 'B1236+AVE+DR', 'baseline, alpha 0.4'),
  onVal('AVE > MAX, B1', 'B1+AVE', 'B1+MAX'),
  onVal('AVE > MAX, B1236', 'B1236+AVE', 'B1236+MAX'),
  onVal('AVE > MAX, B1236+DR', 'B1236+AVE+DR', 'B1236+MAX+DR'),
  onVal('B1236 > B1, AVE', 'B1236+AVE', 'B1+AVE'),
  onVal('B1236 > B1, MAX', 'B1236+MAX', 'B1+MAX'),
  onVal('DR helps, AVE', 'B1236+AVE+DR', 'B1236+AVE'),
  onVal('DR helps, MAX', 'B1236+MAX+DR', 'B1236+MAX'),
];

export interface Scores {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  per_class_iou: (number | null)[];
}

/** Val for every run; test only for the runs of the variant chosen on val (evaluated once, by the merge). */
export type Metrics = { val: Scores; test?: Scores };

/**
 * result.json of a run. A diverged run has no val scores: its metrics are {}
 * (null in results.json written before the shared runner).
 */
export type RunResult = RunResultOf<Metrics> & { table: Table; evaluation_seconds?: number };
