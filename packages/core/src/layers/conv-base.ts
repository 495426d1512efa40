/** What every convolution layer here shares: its geometry, output shape and config. */
import { tf, tfl } from '../engine/tf.js';
import { convOutLength, firstShape, pair, type Pad, type Pair } from './shape.js';

export interface ConvGeometryArgs {
  kernelSize: Pair;
  strides?: Pair;
  dilationRate?: Pair;
  /** 'same', 'valid', or a symmetric pad in pixels (PyTorch's padding=p). */
  padding?: Pad;
  name?: string;
  trainable?: boolean;
}

export abstract class ConvBase extends tfl.layers.Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Pad;

  constructor(args: ConvGeometryArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.dilationRate = pair(args.dilationRate ?? 1);
    this.padding = args.padding ?? 'same';
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new Error(`${this.name}: a convolution cannot have both stride > 1 and dilation > 1.`);
    }
  }

  /** Output channels for a given number of input channels. */
  protected abstract outChannels(inChannels: number): number;

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [
      s[0]!,
      convOutLength(s[1]!, this.kernelSize[0], this.strides[0], this.dilationRate[0], this.padding),
      convOutLength(s[2]!, this.kernelSize[1], this.strides[1], this.dilationRate[1], this.padding),
      this.outChannels(s[3] as number),
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
    };
  }
}
