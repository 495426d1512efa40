/**
 * ResNet-50/101 in Caffe's layout (He et al. 2016, Kaiming He's release, and
 * Keras's ResNet50, whose ImageNet weights backbones/pretrained.ts imports):
 * stride 2 on the first 1x1 convolution of each downsampling block and on
 * its `branch1` shortcut, a bias on every convolution, batch norm with
 * epsilon 1e-3, and Caffe's layer names (`conv1`, `res2a_branch2a` ...
 * `res5c_branch2c`; each ConvBn also holds its `bn...` statistics).
 *
 * Output stride 16 / 8 as DeepLab v2 made it for this layout: the stage's
 * stride-2 1x1s become stride 1 and every 3x3 of the stage, the first block's
 * included (it now sees the finer map), takes the rate. Kernel shapes do not
 * change, so the ImageNet weights copy by name at any output stride.
 */
import { tfl } from '../engine/tf.js';
import { ConvBn } from '../layers/conv-bn.js';
import { CaffeImageNetInput } from '../layers/imagenet-input.js';
import { RESNET_BLOCKS, type ResNetOptions, type ResNetTaps } from './resnet-options.js';
import { scaled } from './width.js';

type T = tfl.SymbolicTensor;

/** Caffe's block letters: res4a, res4b ... (ResNet-101's res4b1 ... res4b22 as Caffe names them). */
export function caffeBlockName(stage: number, block: number, blocks: number): string {
  if (blocks > 6) return block === 0 ? `res${stage}a` : `res${stage}b${block}`;
  return `res${stage}${String.fromCharCode(97 + block)}`;
}

/**
 * The layers of this backbone that hold weights (every ConvBn: conv1 and the
 * res..._branch convolutions), as a regular expression's source: what the
 * ImageNet weights fill and what a lower backbone learning rate matches.
 */
export const CAFFE_RESNET_LAYERS = '^(conv1|res[2-5][a-z0-9]*_branch)';

/** Caffe's batch-norm layer name for a convolution: conv1 -> bn_conv1, res2a_branch2a -> bn2a_branch2a. */
export const caffeBnName = (conv: string) => (conv === 'conv1' ? 'bn_conv1' : conv.replace(/^res/, 'bn'));

interface CaffeConv {
  name: string;
  kernel: number;
  stride?: number;
  dilation?: number;
  relu?: boolean;
}

function convBn(x: T, filters: number, o: CaffeConv, frozen: boolean): T {
  const d = o.dilation ?? 1;
  return new ConvBn({
    filters,
    kernelSize: o.kernel,
    strides: o.stride ?? 1,
    dilationRate: d,
    padding: (d * (o.kernel - 1)) / 2,
    relu: o.relu ?? true,
    epsilon: 1e-3,
    useBias: true,
    frozenStatistics: frozen,
    name: o.name,
  }).apply(x) as T;
}

export function resnetCaffe(input: T, o: ResNetOptions): ResNetTaps {
  const dilate = o.replaceStrideWithDilation ?? [false, false, false];
  const frozen = o.frozenBatchNorm ?? false;
  // The weights' own preprocessing, inside the graph (layers/imagenet-input.ts).
  const x0 = new CaffeImageNetInput().apply(input) as T;
  const stem = convBn(x0, scaled(64, o.width), { name: 'conv1', kernel: 7, stride: 2 }, frozen);
  // Keras: pool1_pad (zeros; the input is post-ReLU, so zeros never win) then 3x3/2 valid.
  const padded = tfl.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(stem) as T;
  const pool = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'pool1' }).apply(padded) as T;
  const taps: Partial<ResNetTaps> = { stem, pool };
  let x = pool;
  let dilation = 1;
  RESNET_BLOCKS[o.depth].forEach((blocks, i) => {
    const stage = i + 2;
    const planes = scaled(64 * 2 ** i, o.width);
    let stride = i === 0 ? 1 : 2;
    if (i > 0 && dilate[i - 1]) {
      dilation *= 2;
      stride = 1;
    }
    const grid = i === 3 && o.multiGrid ? o.multiGrid : undefined;
    for (let j = 0; j < blocks; j++) {
      const name = caffeBlockName(stage, j, blocks);
      const rate = grid ? dilation * grid[j % grid.length]! : dilation;
      const s = j === 0 ? stride : 1;
      let y = convBn(x, planes, { name: `${name}_branch2a`, kernel: 1, stride: s }, frozen);
      y = convBn(y, planes, { name: `${name}_branch2b`, kernel: 3, dilation: rate }, frozen);
      y = convBn(y, planes * 4, { name: `${name}_branch2c`, kernel: 1, relu: false }, frozen);
      const shortcut = j === 0 ? convBn(x, planes * 4, { name: `${name}_branch1`, kernel: 1, stride: s, relu: false }, frozen) : x;
      const sum = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as T;
      x = tfl.layers.reLU({ name: `${name}_relu` }).apply(sum) as T;
    }
    taps[`layer${i + 1}` as keyof ResNetTaps] = x;
  });
  return taps as ResNetTaps;
}
