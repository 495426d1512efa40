/**
 * The input transform Caffe's ImageNet ResNet-50 was trained with (He et al.
 * 2016; Keras's `preprocess_input` in "caffe" mode): RGB in [0, 1] -> BGR on
 * the 0..255 scale, minus the ImageNet mean per channel. It is the first
 * layer of every model built on that backbone, so training, evaluation,
 * inference and export apply it alike and a saved model.json records it.
 */
import { tf, tfl } from '../engine/tf.js';
import { asList } from './shape.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../weights/imagenet-classes.js';

/** ImageNet's mean in B, G, R order on the 0..255 scale. */
export const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68] as const;

export class CaffeImageNetInput extends tfl.layers.Layer {
  static readonly className = 'SegCaffeImageNetInput';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name ?? 'imagenet_input' });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      if (x.shape[3] !== 3) throw new Error(`${this.name}: ImageNet weights take 3-channel RGB images, not ${x.shape[3]} channels.`);
      const bgr = tf.reverse(x, -1);
      return tf.sub(tf.mul(bgr, 255), tf.tensor1d([...CAFFE_BGR_MEAN]));
    });
  }
}
tf.serialization.registerClass(CaffeImageNetInput);

export { IMAGENET_MEAN as TORCHVISION_MEAN, IMAGENET_STD as TORCHVISION_STD } from '../weights/imagenet-classes.js';

/**
 * The input transform torchvision's ImageNet weights were trained with:
 * (x - mean) / std per RGB channel, x in [0, 1]. The first layer of a model
 * that starts from them, for the reasons above.
 */
export class ImageNetNormalize extends tfl.layers.Layer {
  static readonly className = 'SegImageNetNormalize';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name ?? 'imagenet_normalize' });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      if (x.shape[3] !== 3) throw new Error(`${this.name}: ImageNet weights take 3-channel RGB images, not ${x.shape[3]} channels.`);
      return tf.div(tf.sub(x, tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD]));
    });
  }
}
tf.serialization.registerClass(ImageNetNormalize);
