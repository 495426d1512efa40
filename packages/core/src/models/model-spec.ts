/** What a registered model is: its builder and what the papers state of it (models/registry.ts registers them). */
import type { tfl } from '../engine/tf.js';
import type { Pretrained } from '../backbones/pretrained.js';

export interface BuildOptions {
  classes?: number;
  /** Input [height, width]; null dims where the model accepts any size. */
  size?: [number | null, number | null];
  channels?: number;
  width?: number;
  seed?: number;
  /** Start the backbone from these weights (models whose spec lists them in `pretrained`). */
  pretrained?: Pretrained;
  /** Build the training-only auxiliary heads too (models whose spec has `auxiliaryLosses`). */
  auxiliary?: boolean;
}

/**
 * A registered model: its builder, what docs/zoo.md states of it, and what
 * training and inference need to know. Every model an architecture package
 * registers states paper, input, classes and params (the CLI's tests hold
 * them to docs/zoo.md, the package's tests to the built model); a library
 * user's own model may leave them out, and then seg needs --size and builds
 * 2 classes.
 */
export interface ModelSpec {
  name: string;
  /** The npm package that registers it. */
  package: string;
  /** Builds the model; options left out take the stated `input` and `classes`. */
  build: (o?: BuildOptions) => tfl.LayersModel;
  /** The paper the configuration comes from, as docs/zoo.md cites it. */
  paper?: string;
  /** Default input [h, w, c] (docs/zoo.md's default input). */
  input?: [number, number, number];
  /** Default classes (the paper's dataset's). */
  classes?: number;
  /** Trainable parameters at `input` and `classes`, without auxiliary heads: what a faithful build has. */
  params?: number;
  /** The same with the training-only auxiliary heads (models with `auxiliaryLosses`). */
  paramsWithAux?: number;
  /** A variant a paper studies beside its configurations (SegNet's Table 1): listed after them. */
  variant?: boolean;
  /**
   * The same architecture from PyTorch, timed on the 2-core machine the
   * bench's goals were set on, in ms: onnxruntime-node on its ONNX export at
   * `input`, batch 1 (`onnx`); one PyTorch-eager training step with OpenBLAS
   * at 256x256, batch 2, auxiliary heads included (`train`). `seg bench
   * --report` sets our times beside them.
   */
  pytorchMs?: { onnx?: number; train?: number };
  /** Valid-convolution models segment large images with overlap-tile at this input size. */
  tile?: [number, number];
  /** Models whose input sides are constrained (U-Net's even size at every pooling): the rule, and the test of one side. */
  inputSides?: { rule: string; valid: (side: number) => boolean };
  /**
   * Models that take only sides divisible by this (skips joined uncropped
   * after that much pooling: U-Net with padded convolutions): training
   * checks --size against it (it gives `inputSides`), inference and
   * evaluation pad other sizes up to it and crop the logits back.
   */
  sizeMultiple?: number;
  /** The backbone's name (`resnet50`, `vgg16` ...), for the sentence that refuses weights it lacks. */
  backbone?: string;
  /** The pretrained weights its builder accepts (BuildOptions.pretrained). */
  pretrained?: Pretrained[];
  /** Layers of its pretrained backbone (a regular expression), for a lower learning rate there. */
  backboneLayers?: string;
  /**
   * The paper's loss weight of each auxiliary output (models/auxiliary.ts),
   * by output name, e.g. PSPNet's { aux_upsample: 0.4 }; built when
   * BuildOptions.auxiliary is set.
   */
  auxiliaryLosses?: Record<string, number>;
}
