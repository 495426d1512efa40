/**
 * Sizes a model cannot take directly (ModelSpec.sizeMultiple: U-Net with
 * padded convolutions joins its skips uncropped, so every side must divide
 * by 16): the input is padded at the bottom and right up to the multiple and
 * the logits are cropped back, as mmsegmentation's `size_divisor` does. It
 * wraps the Network, so whole-image, sliding-window, multi-scale and batched
 * inference, and every engine (tfjs backends, onnx), pad alike.
 */
import { tf, type tfl } from '../engine/tf.js';
import { CAFFE_BGR_MEAN, TORCHVISION_MEAN } from '../layers/imagenet-input.js';
import type { Network } from './network.js';

/**
 * The value each channel is padded with. mmsegmentation pads the normalised
 * image with 0 (the label with 255, which does not matter here: the logits
 * are cropped back before anything is scored), i.e. with the mean colour,
 * which adds no edge at the image border; mirroring would put mirrored
 * structure there instead. Our inputs are [0, 1] and a model that normalises
 * does it in its first layer (the Caffe ImageNet transform), so for such a
 * model mmseg's 0 is the ImageNet mean; a model that does not normalise takes
 * 0 itself.
 */
export function padFill(model: tfl.LayersModel | undefined, channels: number): number[] {
  const imagenet = model?.layers.some((l) => l.getClassName() === 'SegCaffeImageNetInput');
  if (imagenet && channels === 3) return [...CAFFE_BGR_MEAN].reverse().map((m) => m / 255);
  if (channels === 3 && model?.layers.some((l) => l.getClassName() === 'SegImageNetNormalize')) return [...TORCHVISION_MEAN];
  return new Array<number>(channels).fill(0);
}

/** `x` [N, H, W, C] padded at the bottom and right to ph x pw with `fill` per channel (exact: the image values are copied, not shifted). */
function padBottomRight(x: tf.Tensor4D, ph: number, pw: number, fill: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const block = (bh: number, bw: number) => tf.tile(tf.reshape(tf.tensor1d(fill), [1, 1, 1, c]), [n, bh, bw, 1]) as tf.Tensor4D;
    const wide = pw > w ? (tf.concat([x, block(h, pw - w)], 2) as tf.Tensor4D) : x;
    return ph > h ? (tf.concat([wide, block(ph - h, pw)], 1) as tf.Tensor4D) : wide;
  });
}

/** `net` taking any size: each side padded up to a multiple of `multiple`, its logits (resized to the padded size where the net outputs fewer pixels) cropped to the input's. */
export function paddedToMultiple(net: Network, multiple: number): Network {
  if (!(multiple > 1)) return net;
  return {
    inputShape: net.inputShape,
    model: net.model,
    async logits(x) {
      const [, h, w, c] = x.shape;
      const ph = Math.ceil(h / multiple) * multiple;
      const pw = Math.ceil(w / multiple) * multiple;
      if (ph === h && pw === w) return net.logits(x);
      const padded = padBottomRight(x, ph, pw, padFill(net.model, c));
      let out: tf.Tensor4D;
      try {
        out = await net.logits(padded);
      } finally {
        padded.dispose();
      }
      const cropped = tf.tidy(() => {
        const full = out.shape[1] === ph && out.shape[2] === pw ? out : tf.image.resizeBilinear(out, [ph, pw], false, true);
        return tf.slice(full, [0, 0, 0, 0], [-1, h, w, -1]) as tf.Tensor4D;
      });
      out.dispose();
      return cropped;
    },
  };
}
