/**
 * The FCN replication as data. Data: ../shared/data/camvid (SegNet's CamVid,
 * 11 classes), downscaled in the short profiles; train split for training,
 * val for reporting. No ImageNet initialisation (nothing is downloaded), so
 * the comparisons are the orderings, not the paper's absolute numbers.
 */
import { selectProfile, type ProfileBase } from '@seg/core';
import type { FcnOptions } from '@seg/fcn';

export interface Variant {
  name: string;
  model: FcnOptions;
  /** Staged: initialised from the trained run of this variant (Sec. 4.2), for `stageIters` iterations. */
  from?: string;
  /** Iterations as a multiple of the profile's base iterations. */
  itersFactor: number;
}

// Staged runs get half the base iterations per stage; the at-once nets get the staged pipeline's total (2x).
export const VARIANTS: Variant[] = [
  { name: 'FCN-32s', model: { variant: '32s' }, itersFactor: 1 },
  { name: 'FCN-16s (staged)', model: { variant: '16s' }, from: 'FCN-32s', itersFactor: 0.5 },
  { name: 'FCN-8s (staged)', model: { variant: '8s' }, from: 'FCN-16s (staged)', itersFactor: 0.5 },
  { name: 'FCN-8s at-once', model: { variant: '8s', scaledSkips: true }, itersFactor: 2 },
  { name: 'FCN-8s at-once, fixed x2 upsampling', model: { variant: '8s', scaledSkips: true, learnedUpsampling: false }, itersFactor: 2 },
];

/** `iters` are the base iterations (FCN-32s). */
export interface Profile extends ProfileBase {
  width: number;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  smoke: { name: 'smoke', downscale: 8, crop: [40, 56], width: 1 / 16, iters: 2, batch: 2, optimizer: { name: 'adam', lr: 0.001 }, seeds: [1], trainImages: 4, valImages: 2 },
  quick: { name: 'quick', downscale: 4, crop: [88, 120], width: 0.125, iters: 240, batch: 4, optimizer: { name: 'adam', lr: 0.001 }, seeds: [1, 2], trainImages: 367, valImages: 101 },
  // The paper: SGD momentum 0.99, lr 1e-10 on unnormalised loss (Sec. 4.3); with a per-pixel mean loss that is lr ~1e-4.
  full: { name: 'full', downscale: 1, crop: [352, 480], width: 1, iters: 20000, batch: 1, optimizer: { name: 'sgd', lr: 1e-4, momentum: 0.99, weightDecay: 5e-4 }, seeds: [1, 2], trainImages: 367, valImages: 101 },
};

/** FCN Table 2 (PASCAL VOC 2011 val subset, mean IU %) and the reference models (fcn.berkeleyvision.org, VOC 2011 segval). */
export const PAPER = {
  table2: { 'FCN-32s': 59.4, 'FCN-16s': 62.4, 'FCN-8s': 62.7 },
  reference: { 'FCN-32s': 63.6, 'FCN-16s': 65.0, 'FCN-8s': 65.5 },
} as const;

/** The profile SEG_PROFILE names (default: quick). */
export const profileFromEnv = (value = process.env.SEG_PROFILE): Profile => selectProfile(PROFILES, value);
