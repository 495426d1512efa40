/** Multiply-accumulates of one forward pass, counted over the convolution layers (what papers report as FLOPs/2). */
import type { tfl } from '../engine/tf.js';

interface ConvLike {
  kernelSize?: number[] | number;
  filters?: number;
  depthMultiplier?: number;
}

export function countMacs(model: tfl.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const l = layer as unknown as ConvLike;
    if (!/Conv/.test(cls) || l.kernelSize == null) continue;
    const k = Array.isArray(l.kernelSize) ? l.kernelSize : [l.kernelSize, l.kernelSize];
    const input = layer.input as tfl.SymbolicTensor | tfl.SymbolicTensor[];
    const inShape = (Array.isArray(input) ? input[0]! : input).shape as number[];
    const out = layer.outputShape as number[];
    const cin = inShape[inShape.length - 1]!;
    const [oh, ow, cout] = [out[1]!, out[2]!, out[3]!];
    if ([oh, ow, cin].some((v) => v == null)) throw new Error(`countMacs needs a fixed input size (layer ${layer.name} has unknown dims).`);
    if (/Depthwise/.test(cls)) macs += oh * ow * k[0]! * k[1]! * cout;
    else if (/Transpose/.test(cls)) {
      const [ih, iw] = [inShape[1]!, inShape[2]!];
      macs += ih * iw * k[0]! * k[1]! * cin * cout;
    } else macs += oh * ow * k[0]! * k[1]! * cin * cout;
  }
  return macs;
}
