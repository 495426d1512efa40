import type { LabelCensus } from './label-census.js';

/** One image with its label map, as every dataset yields it. */
export interface Sample {
  id: string;
  width: number;
  height: number;
  channels: number;
  /** Pixels in [0, 1], HWC order. */
  image: Float32Array;
  /** Class index per pixel; `ignoreIndex` where unlabelled. */
  mask: Uint8Array;
  /** Optional per-pixel loss weights (e.g. U-Net's weight map). */
  weights?: Float32Array;
}

export interface Dataset {
  name: string;
  numClasses: number;
  ignoreIndex: number;
  classNames: string[];
  length: number;
  get(index: number): Promise<Sample>;
  /**
   * Checks every sample (or those at `indices`) can be read, that each label
   * map matches its image's size and holds only valid labels, and throws one
   * InputError listing the bad files. Cheap: image headers, not decodes.
   */
  check?(indices?: number[]): Promise<void>;
  /** How often each class and the ignore value occur over every label map, counted by the full check (data/label-census.ts). */
  labelCensus?(): Promise<LabelCensus>;
}
