/**
 * Convolution layers whose gradients work for every dilation on every
 * backend. tfjs-layers' conv2d goes through the fused op, whose gradient
 * asserts dilation 1, and its depthwiseConv2d drops the dilation rate.
 */
import { tf, tfl, type Initializer } from '../engine/tf.js';
import { convOutLength as outLength, firstShape, pair, type Pad, type Pair } from './shape.js';


export interface Conv2DArgs {
  filters: number;
  kernelSize: Pair;
  strides?: Pair;
  dilationRate?: Pair;
  /** 'same', 'valid', or a symmetric pad in pixels (PyTorch's padding=p). */
  padding?: Pad;
  useBias?: boolean;
  kernelInitializer?: Initializer | string;
  biasInitializer?: Initializer | string;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

function initializer(v: Initializer | string | undefined, fallback: () => Initializer) {
  if (v == null) return fallback();
  if (typeof v !== 'string') return v;
  return (tfl.initializers as unknown as Record<string, (a: object) => Initializer>)[v]!({});
}

/** 2-D convolution, NHWC, weights [KH, KW, Ci, Co] (+ bias [Co]). */
export class Conv2D extends tfl.layers.Layer {
  static readonly className = 'SegConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Pad;
  readonly useBias: boolean;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: Conv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.dilationRate = pair(args.dilationRate ?? 1);
    this.padding = args.padding ?? 'same';
    this.useBias = args.useBias ?? true;
    this.kernelInit = initializer(args.kernelInitializer, () => tfl.initializers.heNormal({ seed: args.seed }));
    this.biasInit = initializer(args.biasInitializer, () => tfl.initializers.zeros());
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new Error(`${this.name}: a convolution cannot have both stride > 1 and dilation > 1.`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = firstShape(inputShape);
    const cin = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, cin, this.filters], 'float32', this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInit);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [
      s[0]!,
      outLength(s[1]!, this.kernelSize[0], this.strides[0], this.dilationRate[0], this.padding),
      outLength(s[2]!, this.kernelSize[1], this.strides[1], this.dilationRate[1], this.padding),
      this.filters,
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}

export interface DepthwiseConv2DArgs {
  kernelSize: Pair;
  depthMultiplier?: number;
  strides?: Pair;
  dilationRate?: Pair;
  padding?: Pad;
  useBias?: boolean;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/** Depthwise convolution, weights [KH, KW, C, M] (+ bias [C*M]), with dilation. */
export class DepthwiseConv2D extends tfl.layers.Layer {
  static readonly className = 'SegDepthwiseConv2D';
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Pad;
  readonly useBias: boolean;
  private readonly seed?: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: DepthwiseConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.kernelSize = pair(args.kernelSize);
    this.depthMultiplier = args.depthMultiplier ?? 1;
    this.strides = pair(args.strides ?? 1);
    this.dilationRate = pair(args.dilationRate ?? 1);
    this.padding = args.padding ?? 'same';
    this.useBias = args.useBias ?? false;
    this.seed = args.seed;
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
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, this.kernel!.read() as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [
      s[0]!,
      outLength(s[1]!, this.kernelSize[0], this.strides[0], this.dilationRate[0], this.padding),
      outLength(s[2]!, this.kernelSize[1], this.strides[1], this.dilationRate[1], this.padding),
      (s[3] as number) * this.depthMultiplier,
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}

tf.serialization.registerClass(Conv2D);
tf.serialization.registerClass(DepthwiseConv2D);
