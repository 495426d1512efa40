/**
 * ResNet-50/101 in torchvision's layout (He et al. 2016, Table 1; stride on
 * the 3x3 convolution of each bottleneck, "ResNet v1.5"), with
 * replace-stride-with-dilation (DeepLab v2 Sec. 3.1, PSPNet Sec. 3.2) and
 * DeepLab v3's multi-grid rates for the last stage (Chen et al. 2017, Sec. 3.2).
 */
import { tfl } from '../engine/tf.js';
import { convBn, maxPool } from '../blocks/conv-blocks.js';
import type { Encoder, Tap } from './encoder.js';
import { scaled } from './width.js';
import { resnetCaffe } from './resnet-caffe.js';
import { RESNET_BLOCKS, type ResNetLayout, type ResNetOptions, type ResNetTaps } from './resnet-options.js';

type T = tfl.SymbolicTensor;

export { RESNET_BLOCKS, type ResNetLayout, type ResNetOptions, type ResNetTaps };

/** Output stride 8 and 16 as torchvision's segmentation models set them. */
export const dilationForOutputStride = (os: 8 | 16 | 32): [boolean, boolean, boolean] =>
  os === 8 ? [false, true, true] : os === 16 ? [false, false, true] : [false, false, false];

interface BlockArgs {
  planes: number;
  stride: number;
  dilation: number;
  downsample: boolean;
  name: string;
}

/** conv1x1 -> conv3x3 (stride, dilation) -> conv1x1 (x4), plus the shortcut. */
function bottleneck(x: T, b: BlockArgs): T {
  let y = convBn(x, b.planes, { kernel: 1, name: `${b.name}_conv1` });
  y = convBn(y, b.planes, { kernel: 3, stride: b.stride, dilation: b.dilation, name: `${b.name}_conv2` });
  y = convBn(y, b.planes * 4, { kernel: 1, relu: false, name: `${b.name}_conv3` });
  const shortcut = b.downsample
    ? convBn(x, b.planes * 4, { kernel: 1, stride: b.stride, padding: 0, relu: false, name: `${b.name}_downsample` })
    : x;
  const sum = tfl.layers.add({ name: `${b.name}_add` }).apply([y, shortcut]) as T;
  return tfl.layers.reLU({ name: `${b.name}_out` }).apply(sum) as T;
}

export function resnet(input: T, o: ResNetOptions): ResNetTaps {
  if (o.layout === 'caffe') return resnetCaffe(input, o);
  if (o.frozenBatchNorm) throw new Error('frozenBatchNorm is an option of the caffe layout (Caffe\'s ImageNet weights).');
  const p = o.prefix ?? '';
  const dilate = o.replaceStrideWithDilation ?? [false, false, false];
  const stem = convBn(input, scaled(64, o.width), { kernel: 7, stride: 2, padding: 3, name: `${p}conv1` });
  // torchvision's MaxPool2d(3, 2, padding=1): one pixel on every side. Zeros pad as well as -inf would, after the ReLU.
  const padded = tfl.layers.zeroPadding2d({ padding: 1, name: `${p}maxpool_pad` }).apply(stem) as T;
  const pool = maxPool(padded, { size: 3, stride: 2, padding: 'valid', name: `${p}maxpool` });
  const taps: Partial<ResNetTaps> = { stem, pool };
  let x = pool;
  let inplanes = scaled(64, o.width);
  let dilation = 1;
  RESNET_BLOCKS[o.depth].forEach((blocks, i) => {
    const planes = scaled(64 * 2 ** i, o.width);
    let stride = i === 0 ? 1 : 2;
    const previousDilation = dilation;
    if (i > 0 && dilate[i - 1]) {
      dilation *= stride;
      stride = 1;
    }
    const grid = i === 3 && o.multiGrid ? o.multiGrid : undefined;
    for (let j = 0; j < blocks; j++) {
      // torchvision: the first block of a dilated stage keeps the previous rate.
      const rate = grid ? dilation * grid[j % grid.length]! : j === 0 ? previousDilation : dilation;
      x = bottleneck(x, {
        planes,
        stride: j === 0 ? stride : 1,
        dilation: rate,
        downsample: j === 0 && (stride !== 1 || inplanes !== planes * 4),
        name: `${p}layer${i + 1}_${j}`,
      });
      inplanes = planes * 4;
    }
    taps[`layer${i + 1}` as keyof ResNetTaps] = x;
  });
  return taps as ResNetTaps;
}

/**
 * ResNet as an encoder (backbones/encoder.ts), in either layout: the stem at
 * stride 2 and layer1 to layer4 at 4, 8, 16, 32, where a dilated stage keeps
 * the stride it was given.
 */
export function resnetEncoder(input: T, o: ResNetOptions): Encoder {
  const features = resnet(input, o);
  const dilate = o.replaceStrideWithDilation ?? [false, false, false];
  let stride = 4;
  const layers: Tap[] = [1, 2, 3, 4].map((n) => {
    if (n > 1 && !dilate[n - 2]) stride *= 2;
    return { name: `layer${n}`, stride, tensor: features[`layer${n}` as keyof ResNetTaps] };
  });
  return { backbone: `resnet${o.depth}`, taps: [{ name: 'stem', stride: 2, tensor: features.stem }, ...layers] };
}
