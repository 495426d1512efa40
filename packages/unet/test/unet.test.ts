import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtFacts, compareOnnx, CORE_DATA_DIR, countTrainableParams, infer, initEngine, isbi2012, modelSpec, registeredModels, statedFacts, tf, train, type Sample } from '@seg/core';
import { models, tileCovering, unet, unetTraining, validOutputSize } from '../src/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ISBI = path.join(CORE_DATA_DIR, 'isbi2012');

function crop(s: Sample, size: number): Sample {
  const image = new Float32Array(size * size);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      image[y * size + x] = s.image[y * s.width + x]!;
      mask[y * size + x] = s.mask[y * s.width + x]!;
    }
  return { ...s, width: size, height: size, image, mask };
}

describe('U-Net', () => {
  beforeAll(async () => {
    await initEngine();
  });

  // The registrations state docs/zoo.md's counts; a build at the stated defaults must reach them.
  const outputs: Record<string, number[]> = { unet: [388, 388, 2], 'unet-same-bn': [512, 512, 2] };
  for (const spec of registeredModels().filter((s) => s.package === '@seg/unet')) {
    it(`${spec.name}: ${spec.params?.toLocaleString('en')} trainable parameters, ${spec.input?.join('x')} in, ${outputs[spec.name]?.join('x')} out`, () => {
      const built = builtFacts(spec);
      expect(built).toMatchObject(statedFacts(spec));
      expect(built.output).toEqual(outputs[spec.name]);
    });
  }

  it('unet\'s own builder defaults to the paper\'s 572x572x1 tile', () => {
    const m = models.unet();
    expect([m.inputs[0]!.shape, countTrainableParams(m)]).toEqual([[null, 572, 572, 1], modelSpec('unet')!.params]);
    m.dispose();
  });

  it('is built deterministically from its seed (every layer, the up-convolutions included)', () => {
    const a = unet({ baseWidth: 4, depth: 2, size: [92, 92], seed: 7 }).getWeights();
    const b = unet({ baseWidth: 4, depth: 2, size: [92, 92], seed: 7 }).getWeights();
    const c = unet({ baseWidth: 4, depth: 2, size: [92, 92], seed: 8 }).getWeights();
    a.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b[i]!.dataSync())));
    expect(a.some((w, i) => w.dataSync().some((v, j) => v !== c[i]!.dataSync()[j]))).toBe(true);
  });

  it('options: classes, base width, depth; valid output sizes', () => {
    const m = unet({ classes: 5, baseWidth: 8, depth: 3, size: [140, 140] });
    expect(m.outputs[0]!.shape).toEqual([null, validOutputSize(140, 3), validOutputSize(140, 3), 5]);
    expect(validOutputSize(572)).toBe(388);
    expect(validOutputSize(573)).toBeNull();
    expect(tileCovering(512)).toBe(700);
    expect(validOutputSize(tileCovering(512, 2), 2)!).toBeGreaterThanOrEqual(512);
    m.dispose();
  });

  it('overlap-tile segments a whole 512x512 ISBI image; one tile equals direct inference on the mirrored border', async () => {
    const model = unet({ baseWidth: 4, seed: 1 });
    const slice = await (await isbi2012(ISBI, 'train', [27])).get(0);
    const whole = await infer(model, slice, { mode: 'tile', tile: [572, 572] });
    expect([whole.height, whole.width]).toEqual([512, 512]);
    const small = crop(slice, 388);
    const tiled = await infer(model, small, { mode: 'tile', tile: [572, 572] });
    const direct = tf.tidy(() => {
      const x = tf.mirrorPad(tf.tensor4d(small.image, [1, 388, 388, 1]), [[0, 0], [92, 92], [92, 92], [0, 0]], 'reflect');
      return tf.softmax(model.predict(x) as tf.Tensor).dataSync();
    });
    let diff = 0;
    for (let i = 0; i < direct.length; i++) diff = Math.max(diff, Math.abs(direct[i]! - tiled.probs[i]!));
    expect(diff).toBeLessThan(1e-6);
    model.dispose();
  });

  it('trains with the paper set-up (weighted loss, elastic deformation, momentum 0.99, batch 1) on valid-conv crops', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seg-unet-'));
    try {
      const model = unet({ baseWidth: 4, depth: 2, size: [null, null], seed: 2 });
      const setup = unetTraining({ crop: [92, 92] });
      expect(setup.optimizer).toMatchObject({ momentum: 0.99 });
      expect(setup.batchSize).toBe(1);
      const r = await train(model, await isbi2012(ISBI, 'train', [0, 1]), { ...setup, iters: 4, runDir: dir, quiet: true, seed: 1 });
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.iters).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ONNX export (run by onnxruntime-node)', () => {
  beforeAll(async () => {
    await initEngine();
  });
  for (const [name, size] of [['unet', 188], ['unet-same-bn', 64]] as const) {
    it(`${name} at ${size}x${size}`, async () => {
      const model = modelSpec(name)!.build({ size: [size, size], width: 0.125, classes: 2, channels: 1, seed: 1 });
      const x = tf.randomUniform([1, size, size, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
      const r = await compareOnnx(model, x);
      x.dispose();
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
      expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
    });
  }
});
