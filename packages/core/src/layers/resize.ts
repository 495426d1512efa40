/** Bilinear resizing to a fixed size, by a factor, or to another tensor's size. */
import { tf, tfl } from '../engine/tf.js';
import { allShapes, asList, firstShape } from './shape.js';

export interface ResizeBilinearArgs {
  /** Output [H, W]; or */
  size?: [number, number];
  /** a factor applied to the input's H and W; or neither: resize to the second input's H and W. */
  scale?: number;
  /** Caffe-era DeepLab aligns corners; PyTorch's default (false) uses half-pixel centres. */
  alignCorners?: boolean;
  name?: string;
}

export class ResizeBilinear extends tfl.layers.Layer {
  static readonly className = 'SegResizeBilinear';
  readonly size?: [number, number];
  readonly scale?: number;
  readonly alignCorners: boolean;

  constructor(args: ResizeBilinearArgs) {
    super({ name: args.name });
    if (args.size && args.scale) throw new Error('ResizeBilinear takes size or scale, not both.');
    this.size = args.size;
    this.scale = args.scale;
    this.alignCorners = args.alignCorners ?? false;
  }

  private target(h: number | null, w: number | null, ref?: tfl.Shape): [number | null, number | null] {
    if (this.size) return this.size;
    if (this.scale) return [h == null ? null : Math.round(h * this.scale), w == null ? null : Math.round(w * this.scale)];
    if (!ref) throw new Error(`${this.name}: give size, scale, or a second input to match.`);
    return [ref[1] ?? null, ref[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ref] = asList(inputs) as [tf.Tensor4D, tf.Tensor4D | undefined];
      const [h, w] = this.target(x.shape[1], x.shape[2], ref?.shape) as [number, number];
      if (h === x.shape[1] && w === x.shape[2]) return tf.clone(x);
      return tf.image.resizeBilinear(x, [h, w], this.alignCorners, !this.alignCorners);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = allShapes(inputShape);
    const s = firstShape(inputShape);
    const [h, w] = this.target(s[1] ?? null, s[2] ?? null, shapes[1]);
    return [s[0]!, h, w, s[3]!];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = { ...super.getConfig(), alignCorners: this.alignCorners };
    if (this.size) c.size = this.size;
    if (this.scale) c.scale = this.scale;
    return c;
  }
}

tf.serialization.registerClass(ResizeBilinear);
