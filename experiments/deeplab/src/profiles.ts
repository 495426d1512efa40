/**
 * The DeepLab replication as data. Data: ../shared/data/camvid (SegNet's
 * CamVid, 11 classes, 360x480), downscaled in the short profiles. Models are
 * trained on the train split minus a held-out tail, on which the CRF's
 * parameters are chosen; every reported number is on the val split.
 * No ImageNet pre-training (nothing is downloaded): the papers fine-tune
 * ImageNet (and COCO) models on PASCAL VOC, so our absolute numbers are not
 * theirs; the comparisons are the orderings.
 */
import { selectProfile, type ProfileBase } from '@seg/core';
import type { DeepLabOptions } from '@seg/deeplab';

export interface Variant {
  name: string;
  model: DeepLabOptions;
  /** Evaluate before and after the dense CRF (v2 Table 3). */
  crf?: boolean;
  /** Output strides to evaluate the trained weights at (v3 Table 6). */
  evalStrides?: (8 | 16)[];
}

const V3: DeepLabOptions = { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4] };

export const VARIANTS: Variant[] = [
  { name: 'v2 LargeFOV', model: { backbone: 'vgg16', head: 'largefov' }, crf: true },
  { name: 'v2 ASPP-S', model: { backbone: 'vgg16', head: 'aspp-s' }, crf: true },
  { name: 'v2 ASPP-L', model: { backbone: 'vgg16', head: 'aspp-l' }, crf: true },
  { name: 'v3 ASPP, no image pooling', model: { ...V3, imagePooling: false }, evalStrides: [16, 8] },
  { name: 'v3 ASPP + image pooling', model: { ...V3, imagePooling: true }, evalStrides: [16, 8] },
  { name: 'v3+ decoder', model: { ...V3, imagePooling: true, decoder: true }, evalStrides: [16] },
];

/** `trainImages` come from the start of the train split, `crfImages` (CRF tuning) from its end. */
export interface Profile extends ProfileBase {
  width: number;
  crfImages: number;
  /** CRF grid: bilateral weight, theta_alpha (pixels at this scale), theta_beta (0..255); Gaussian w 3, theta 1; 10 iterations. */
  crfGrid: { weight: number[]; thetaAlpha: number[]; thetaBeta: number[] };
}

export const PROFILES: Record<Profile['name'], Profile> = {
  smoke: { name: 'smoke', downscale: 8, crop: [40, 56], width: 1 / 16, iters: 2, batch: 2, optimizer: { name: 'adam', lr: 0.001 }, seeds: [1], trainImages: 4, crfImages: 2, valImages: 2, crfGrid: { weight: [4], thetaAlpha: [5], thetaBeta: [5, 10] } },
  quick: { name: 'quick', downscale: 4, crop: [88, 120], width: 0.125, iters: 250, batch: 4, optimizer: { name: 'adam', lr: 0.001 }, seeds: [1, 2], trainImages: 320, crfImages: 47, valImages: 101, crfGrid: { weight: [3, 5], thetaAlpha: [10, 20], thetaBeta: [5, 10] } },
  full: { name: 'full', downscale: 1, crop: [321, 321], width: 1, iters: 20000, batch: 10, optimizer: { name: 'sgd', lr: 0.001, momentum: 0.9, weightDecay: 5e-4 }, seeds: [1, 2], trainImages: 320, crfImages: 47, valImages: 101, crfGrid: { weight: [3, 4, 5], thetaAlpha: [30, 50, 70, 90], thetaBeta: [3, 5, 10] } },
};

/** DeepLab v2 Table 3 (VGG-16, PASCAL VOC 2012 val, mIoU %): before / after CRF. */
export const PAPER_V2_TABLE3 = {
  'v2 LargeFOV': { before: 65.76, after: 69.84 },
  'v2 ASPP-S': { before: 66.98, after: 69.73 },
  'v2 ASPP-L': { before: 68.96, after: 71.57 },
} as const;

/** The profile SEG_PROFILE names (default: quick). */
export const profileFromEnv = (value = process.env.SEG_PROFILE): Profile => selectProfile(PROFILES, value);
