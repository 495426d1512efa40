/**
 * SegNet's memory claim (Sec. 4.1, Table 1's "storage multiplier"): what the
 * decoder must keep from the encoder at inference. Measured on the actual
 * tensors: the model is run with every encoder tensor that a decoder layer
 * reads as an extra output, and their bytes are summed. MaxUnpool, the crop
 * and the resize read their reference map for its height and width only, so
 * that input counts as nothing (a shape); indices count at their int32 size.
 */
import { tf, tfl } from '@seg/core';

export interface DecoderStorage {
  /** Bytes of encoder tensors the decoder reads, per image. */
  bytes: number;
  /** Of which pooling indices. */
  indexBytes: number;
  /** Of which feature maps (skips added or reduced by the decoder). */
  mapBytes: number;
  /** The indices at 2 bits each (a position in a 2x2 window), as the paper counts them, plus the maps. */
  packedBytes: number;
  tensors: { name: string; kind: 'indices' | 'map'; dtype: string; shape: number[]; bytes: number }[];
}

type Node = { inboundLayers: tfl.layers.Layer[]; inputTensors: tfl.SymbolicTensor[] };

/**
 * `lastEncoderLayer`: the deepest encoder layer (its output is the decoder's
 * main input, not a stored tensor). `encoderSide`: later layers that belong to
 * the encoder's side of the boundary, e.g. FCN-Basic's 1x1 reductions, which
 * can run before the maps are stored (the paper counts their K channels).
 */
export function decoderStorage(model: tfl.LayersModel, input: tf.Tensor4D, lastEncoderLayer: string, o: { encoderSide?: (layer: string) => boolean } = {}): DecoderStorage {
  const order = model.layers.map((l) => l.name);
  const boundary = order.indexOf(lastEncoderLayer);
  if (boundary < 0) throw new Error(`decoderStorage: ${model.name} has no layer ${lastEncoderLayer}.`);
  const encoder = new Set([...order.slice(0, boundary + 1), ...order.filter((n) => o.encoderSide?.(n))]);
  const kept = new Map<string, tfl.SymbolicTensor>();
  for (const layer of model.layers.slice(boundary + 1).filter((l) => !encoder.has(l.name))) {
    for (const node of (layer as unknown as { inboundNodes: Node[] }).inboundNodes) {
      node.inputTensors.forEach((t, slot) => {
        if (!encoder.has(t.sourceLayer.name)) return;
        // The main path (the deepest encoder output) and MaxUnpool's reference (a shape) are not storage.
        if (t.sourceLayer.name === lastEncoderLayer && t.outputTensorIndex === 0) return;
        const cls = layer.getClassName();
        if ((cls === 'SegMaxUnpool' && slot === 2) || ((cls === 'SegCenterCrop' || cls === 'SegResizeBilinear') && slot === 1)) return;
        kept.set(`${t.sourceLayer.name}:${t.outputTensorIndex}`, t);
      });
    }
  }
  if (kept.size === 0) return { bytes: 0, indexBytes: 0, mapBytes: 0, packedBytes: 0, tensors: [] };
  const probe = tfl.model({ inputs: model.inputs, outputs: [...kept.values()] });
  const outs = probe.predict(input);
  const list = Array.isArray(outs) ? outs : [outs];
  const tensors = [...kept.entries()].map(([name, sym], i) => {
    const t = list[i]!;
    // A pooling layer's second output is its indices (int32, 4 bytes each, like the maps' float32).
    const isIndex = sym.sourceLayer.getClassName() === 'SegMaxPoolWithArgmax' && sym.outputTensorIndex === 1;
    return { name, kind: isIndex ? ('indices' as const) : ('map' as const), dtype: isIndex ? 'int32' : t.dtype, shape: t.shape.slice(1), bytes: (t.size * 4) / t.shape[0]! };
  });
  tf.dispose(list);
  const indexBytes = tensors.filter((t) => t.kind === 'indices').reduce((a, t) => a + t.bytes, 0);
  const mapBytes = tensors.filter((t) => t.kind === 'map').reduce((a, t) => a + t.bytes, 0);
  return { bytes: indexBytes + mapBytes, indexBytes, mapBytes, packedBytes: indexBytes / 16 + mapBytes, tensors };
}
