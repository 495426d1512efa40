/**
 * Convolution layers whose gradients work for every dilation on every
 * backend. tfjs-layers' conv2d goes through the fused op, whose gradient
 * asserts dilation 1, and its depthwiseConv2d drops the dilation rate.
 */
import { tf, tfl, type Initializer } from '../engine/tf.js';
import { asList, firstShape } from './shape.js';
import { ConvBase, type ConvGeometryArgs } from './conv-base.js';
import { initializerSeed, willBeOverwritten } from './seeds.js';


export interface Conv2DArgs extends ConvGeometryArgs {
  filters: number;
  useBias?: boolean;
  kernelInitializer?: Initializer | string;
  biasInitializer?: Initializer | string;
}

function initializer(v: Initializer | string | undefined, fallback: () => Initializer, seed?: number) {
  if (v == null) return fallback();
  if (typeof v !== 'string') return v;
  return (tfl.initializers as unknown as Record<string, (a: object) => Initializer>)[v]!({ seed });
}

/** 2-D convolution, NHWC, weights [KH, KW, Ci, Co] (+ bias [Co]). */
export class Conv2D extends ConvBase {
  static readonly className = 'SegConv2D';
  readonly filters: number;
  readonly useBias: boolean;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: Conv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.useBias = args.useBias ?? true;
    const seed = initializerSeed();
    this.kernelInit = initializer(args.kernelInitializer, () => tfl.initializers.heNormal({ seed }), seed);
    this.biasInit = initializer(args.biasInitializer, () => tfl.initializers.zeros());
  }

  protected outChannels(): number {
    return this.filters;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = firstShape(inputShape);
    const cin = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, cin, this.filters], 'float32', willBeOverwritten(this.name) ? tfl.initializers.zeros() : this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInit);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const y = tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, useBias: this.useBias };
  }
}

export interface DepthwiseConv2DArgs extends ConvGeometryArgs {
  depthMultiplier?: number;
  useBias?: boolean;
}

/** Depthwise convolution, weights [KH, KW, C, M] (+ bias [C*M]), with dilation. */
export class DepthwiseConv2D extends ConvBase {
  static readonly className = 'SegDepthwiseConv2D';
  readonly depthMultiplier: number;
  readonly useBias: boolean;
  private readonly seed?: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: DepthwiseConv2DArgs) {
    super(args);
    this.depthMultiplier = args.depthMultiplier ?? 1;
    this.useBias = args.useBias ?? false;
    this.seed = initializerSeed();
  }

  protected outChannels(inChannels: number): number {
    return inChannels * this.depthMultiplier;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = firstShape(inputShape);
    const c = shape[shape.length - 1] as number;
    // fan-in of one output is KH*KW (one input channel).
    const init = tfl.initializers.heNormal({ seed: this.seed });
    this.kernel = this.addWeight('depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier], 'float32', init);
    if (this.useBias) this.bias = this.addWeight('bias', [c * this.depthMultiplier], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, this.kernel!.read() as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthMultiplier: this.depthMultiplier, useBias: this.useBias };
  }
}

tf.serialization.registerClass(Conv2D);
tf.serialization.registerClass(DepthwiseConv2D);
