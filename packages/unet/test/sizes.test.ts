/** Sizes unet-same-bn cannot take directly: inference and evaluation pad them to its multiple and crop back, on every engine. */
import { describe, expect, it } from 'vitest';
import { engineInfo, evaluate, infer, initEngine, modelSpec, OnnxNetwork, syntheticDataset, syntheticSample, tf } from '@seg/core';
import '../src/index.js';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};
const spec = () => modelSpec('unet-same-bn')!;
const build = () => spec().build({ size: [null, null], width: 1 / 16, classes: 3, channels: 3, seed: 3 });

describe('sizes unet-same-bn cannot take directly (padded to its multiple, cropped back)', () => {
  it('says its multiple once: 16 (four poolings); the --size check follows from it', () => {
    expect(spec().sizeMultiple).toBe(16);
    expect(spec().inputSides!.valid(352)).toBe(true);
    expect(spec().inputSides!.valid(360)).toBe(false);
  });

  it('a 90x120 image gives probabilities of its size on cpu, wasm and the suite engine (and onnx), equal to the zero-padded 96x128 image cropped', async () => {
    await initEngine();
    const suite = engineInfo()!.backend;
    const engines = [...new Set(['cpu', 'wasm', suite])];
    const sample = syntheticSample(0, { count: 1, height: 90, width: 120, classes: 3, seed: 5 });
    const model = build();
    try {
      for (const engine of engines) {
        await initEngine({ backend: engine, force: true });
        // the size itself fails without padding: the skips do not line up
        await expect(infer(model, sample), engine).rejects.toThrow();
        const p = await infer(model, sample, { sizeMultiple: spec().sizeMultiple });
        expect([p.height, p.width, p.classes], engine).toEqual([90, 120, 3]);
        const want = tf.tidy(() => {
          const x = tf.pad(tf.tensor4d(sample.image, [1, 90, 120, 3]), [[0, 0], [0, 6], [0, 8], [0, 0]]);
          const logits = tf.slice(model.predict(x) as tf.Tensor4D, [0, 0, 0, 0], [1, 90, 120, 3]);
          return tf.softmax(logits).dataSync();
        });
        expect(maxDiff(p.probs, want), engine).toBeLessThan(1e-4);
      }
      // the onnx engine pads alike (its graph is exported at the padded size)
      await initEngine({ backend: suite, force: true });
      const tfjs = await infer(model, sample, { sizeMultiple: 16 });
      const onnx = new OnnxNetwork(model);
      try {
        const o = await infer(onnx, sample, { sizeMultiple: 16 });
        expect([o.height, o.width]).toEqual([90, 120]);
        expect(maxDiff(o.probs, tfjs.probs)).toBeLessThan(1e-3);
      } finally {
        await onnx.dispose();
      }
    } finally {
      await initEngine({ backend: suite, force: true });
      model.dispose();
    }
  });

  it('evaluate() on 90x120 images works, in batches as one by one', async () => {
    await initEngine();
    const model = build();
    const data = syntheticDataset({ count: 3, height: 90, width: 120, classes: 3, seed: 6 });
    const one: Uint8Array[] = [];
    const batched: Uint8Array[] = [];
    const a = await evaluate(model, data, { sizeMultiple: 16, onPrediction: (p) => void one.push(p.labels) });
    const b = await evaluate(model, data, { sizeMultiple: 16, batchSize: 2, onPrediction: (p) => void batched.push(p.labels) });
    expect(a.images).toBe(3);
    expect(one.map((l) => l.length)).toEqual([90 * 120, 90 * 120, 90 * 120]);
    expect(b.miou).toBeCloseTo(a.miou, 6);
    expect(batched.map((l) => Array.from(l))).toEqual(one.map((l) => Array.from(l)));
    model.dispose();
  });
});
