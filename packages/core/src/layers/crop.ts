/** Centre crop of the first input to the second input's H and W (U-Net's skip connections, Fig. 1). */
import { tf, tfl } from '../engine/tf.js';
import { allShapes, asList } from './shape.js';

export class CenterCrop extends tfl.layers.Layer {
  static readonly className = 'SegCenterCrop';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ref] = asList(inputs) as [tf.Tensor4D, tf.Tensor4D];
      if (!ref) throw new Error(`${this.name}: needs two inputs, [tensor, reference].`);
      const [n, h, w, c] = x.shape;
      const [th, tw] = [ref.shape[1], ref.shape[2]];
      if (th > h || tw > w) throw new Error(`${this.name}: cannot crop ${h}x${w} to a larger ${th}x${tw}.`);
      const top = Math.floor((h - th) / 2);
      const left = Math.floor((w - tw) / 2);
      return tf.slice(x, [0, top, left, 0], [n, th, tw, c]);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [s, ref] = allShapes(inputShape) as [tfl.Shape, tfl.Shape];
    return [s[0]!, ref[1]!, ref[2]!, s[3]!];
  }
}

tf.serialization.registerClass(CenterCrop);
