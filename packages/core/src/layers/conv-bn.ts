/**
 * Convolution (no bias) -> batch normalisation -> optional ReLU as one layer
 * with one hand-written gradient ("conv-bn-relu" in docs/zoo.md).
 *
 * Why one op: composed from tfjs ops, a training step keeps ~6 activation-
 * sized tensors per block alive for the backward pass (conv output, centred,
 * normalised, scaled, shifted, ReLU output) and runs as many elementwise
 * kernels; wasm memory is capped at 4 GB, and a full-width U-Net at 256x256,
 * batch 2 did not fit. This op keeps the conv output and its own output and
 * recomputes the rest in the backward pass.
 *
 * Batch statistics as PyTorch: normalise with the biased batch variance,
 * track the unbiased one, momentum 0.1, epsilon 1e-5.
 *
 * Caffe's ResNet (the ImageNet weights we ship, backbones/resnet-caffe.ts)
 * has a bias on every convolution and epsilon 1e-3: `useBias` adds it (under
 * batch statistics it cancels, so it only shifts the tracked mean). With
 * `frozenStatistics` the layer normalises with its moving statistics in
 * training too (batch norm in inference mode, as DeepLab fine-tunes below
 * batch 16); gamma and beta still learn.
 *
 * Where a training batch holds one value per channel (batch 1 through
 * PSPNet's 1x1 pyramid bin or an image-pooling branch), batch statistics are
 * undefined: PyTorch refuses ("expected more than 1 value per channel"), and
 * normalising by a zero variance would silence the branch. This layer then
 * normalises with its moving statistics for that step and leaves them
 * unchanged, so such nets train at batch 1.
 */
import { tf, tfl } from '../engine/tf.js';
import { convBackpropFilter, convBackpropInput, type ConvAttrs } from '../engine/gradients.js';
import { batchNormTrain, batchNormTrainGrad } from '../engine/batchnorm-train.js';
import { reluGrad } from '../engine/relu-grad.js';
import { asList, firstShape } from './shape.js';
import { ConvBase, type ConvGeometryArgs } from './conv-base.js';
import { initializerSeed, willBeOverwritten } from './seeds.js';

export interface ConvBnArgs extends ConvGeometryArgs {
  filters: number;
  relu?: boolean;
  momentum?: number;
  epsilon?: number;
  useBias?: boolean;
  frozenStatistics?: boolean;
}

export class ConvBn extends ConvBase {
  static readonly className = 'SegConvBn';
  readonly filters: number;
  readonly relu: boolean;
  readonly momentum: number;
  readonly epsilon: number;
  readonly useBias: boolean;
  readonly frozenStatistics: boolean;
  private readonly seed?: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private gamma?: tfl.LayerVariable;
  private beta?: tfl.LayerVariable;
  private movingMean?: tfl.LayerVariable;
  private movingVariance?: tfl.LayerVariable;

  constructor(args: ConvBnArgs) {
    super(args);
    this.filters = args.filters;
    this.relu = args.relu ?? true;
    this.momentum = args.momentum ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-5;
    this.useBias = args.useBias ?? false;
    this.frozenStatistics = args.frozenStatistics ?? false;
    this.seed = initializerSeed();
  }

  protected outChannels(): number {
    return this.filters;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = firstShape(inputShape);
    const cin = s[s.length - 1] as number;
    const c = this.filters;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, cin, c], 'float32', willBeOverwritten(this.name) ? tfl.initializers.zeros() : tfl.initializers.heNormal({ seed: this.seed }));
    if (this.useBias) this.bias = this.addWeight('bias', [c], 'float32', tfl.initializers.zeros());
    this.gamma = this.addWeight('gamma', [c], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tfl.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  private convAttrs(): ConvAttrs {
    return { strides: this.strides, pad: this.padding, dilations: this.dilationRate };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const w = this.kernel!.read() as tf.Tensor4D;
      const gamma = this.gamma!.read() as tf.Tensor1D;
      const beta = this.beta!.read() as tf.Tensor1D;
      if (this.useBias && (!kwargs.training || this.frozenStatistics || this.singleValuePerChannel(x.shape))) {
        // Keras's order (conv + bias, then tf.batchNorm), so imported weights give its outputs.
        const z = tf.add(tf.conv2d(x, w, this.strides, this.padding, 'NHWC', this.dilationRate), this.bias!.read());
        const y = tf.batchNorm(z, this.movingMean!.read() as tf.Tensor1D, this.movingVariance!.read() as tf.Tensor1D, beta, gamma, this.epsilon);
        return this.relu ? tf.relu(y) : y;
      }
      if (!kwargs.training || this.frozenStatistics || this.singleValuePerChannel(x.shape)) {
        const z = tf.conv2d(x, w, this.strides, this.padding, 'NHWC', this.dilationRate);
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
        const y = tf.add(tf.mul(z, scale), tf.sub(beta, tf.mul(this.movingMean!.read(), scale)));
        return this.relu ? tf.relu(y) : y;
      }
      const op = tf.customGrad(((xIn: tf.Tensor4D, wIn: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
        const z = tf.conv2d(xIn, wIn, this.strides, this.padding, 'NHWC', this.dilationRate);
        const bn = batchNormTrain(z, g, b, this.epsilon);
        // Here, not after the op: tensors made inside a custom-gradient op are
        // released when it returns, except its value and what it saves.
        this.updateMovingStats(this.bias ? tf.add(bn.mean, this.bias.read()) : bn.mean, bn.variance, z.shape[0] * z.shape[1] * z.shape[2]);
        const value = this.relu ? tf.relu(bn.value) : bn.value;
        // The output doubles as the ReLU mask (value > 0 exactly where the normalised z is).
        save([xIn, wIn, z, g, value, ...bn.saved]);
        return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => this.backward(dy as tf.Tensor4D, saved) };
      }) as never) as (...a: tf.Tensor[]) => tf.Tensor;
      return op(x, w, gamma, beta);
    });
  }

  /** True when a batch of this input shape gives one value per output channel (no batch variance). */
  private singleValuePerChannel(shape: number[]): boolean {
    const out = this.computeOutputShape(shape) as number[];
    return out[0]! * out[1]! * out[2]! === 1;
  }

  /** Gradients w.r.t. x, kernel, gamma, beta from the saved conv output. */
  private backward(dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] {
    // tfjs calls a custom gradient outside any tidy scope: without this one,
    // every temporary below would live until the whole backward pass ends.
    return tf.tidy(() => this.gradients(dy, saved));
  }

  private gradients(dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] {
    const [x, w, z, gamma, value, ...bnSaved] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, ...tf.Tensor[]];
    const du = this.relu ? reluGrad(dy, value) : dy;
    const [dz, dgamma, dbeta] = batchNormTrainGrad(du as tf.Tensor4D, z, gamma, this.epsilon, bnSaved);
    const attrs = this.convAttrs();
    return [convBackpropInput(dz, w, x.shape, attrs), convBackpropFilter(x, dz, w.shape, attrs), dgamma, dbeta];
  }

  private updateMovingStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
    this.movingMean!.write(tf.add(tf.mul(this.movingMean!.read(), 1 - m), tf.mul(mean, m)));
    this.movingVariance!.write(tf.add(tf.mul(this.movingVariance!.read(), 1 - m), tf.mul(unbiased, m)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, relu: this.relu, momentum: this.momentum, epsilon: this.epsilon, useBias: this.useBias, frozenStatistics: this.frozenStatistics };
  }
}

tf.serialization.registerClass(ConvBn);
