/** Counting non-finite values in weights as tfjs encodes them (so a checkpoint is checked as it is written). */
import type { tf } from '../engine/tf.js';

export function nonFiniteValues(v: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) bad++;
  return bad;
}

/** Non-finite float32 values in `data` laid out as `specs` say (other dtypes cannot hold them). */
export function nonFiniteCount(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): number {
  let offset = 0;
  let bad = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.quantization?.dtype ?? s.dtype;
    const bytes = dtype === 'bool' || dtype === 'uint8' ? 1 : dtype === 'float16' ? 2 : 4;
    if (dtype === 'float32') bad += nonFiniteValues(new Float32Array(data, offset, n));
    offset += n * bytes;
  }
  return bad;
}
