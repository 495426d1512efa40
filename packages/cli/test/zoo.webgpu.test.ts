/**
 * The zoo on the webgpu engine (`pnpm test`'s webgpu pass; here Mesa's
 * llvmpipe, a software adapter) against the cpu backend: a few training
 * steps of U-Net, DeepLab v3+ and FCN give the same losses, and every
 * registered model infers the same logits.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine, modelSpec, registeredModels, softmaxCrossEntropy, tf, trainStep, useBackend, type tfl } from '@seg/core';
import { deeplab } from '@seg/deeplab';
import { loadPackages } from '../src/registry.js';

// DeepLab v3+ as docs/zoo.md builds it (deeplabv3plus-resnet50).
const V3PLUS = { backbone: 'resnet50' as const, head: 'aspp-v3' as const, outputStride: 16 as const, multiGrid: [1, 2, 4], imagePooling: true, decoder: true };
// The ResNet-50 start the replications fine-tune (Caffe layout, batch norm frozen), here from a seed rather than ImageNet.
const CAFFE_FROZEN = { backboneLayout: 'caffe' as const, frozenBatchNorm: true, pretrained: null };

beforeAll(async () => {
  await initEngine({ backend: 'webgpu', force: true });
  await loadPackages();
});
afterEach(() => vi.restoreAllMocks());

/** Math.random from a fixed seed (dropout draws its masks from it), the same on both backends. */
function seedMathRandom(seed: number) {
  let s = seed >>> 0;
  vi.spyOn(Math, 'random').mockImplementation(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

/** The smallest side from `from` up that the model accepts. */
function sideFor(name: string, from: number): number {
  const valid = modelSpec(name)?.inputSides?.valid;
  let side = from;
  while (valid && !valid(side)) side++;
  return side;
}

const build = (name: string, side: number, width = 0.25) => modelSpec(name)!.build({ size: [side, side], classes: 3, width, seed: 7 });

async function losses(backend: 'cpu' | 'webgpu', make: () => tfl.LayersModel, side: number, steps: number, o: { batch: number; lr: number }): Promise<number[]> {
  await useBackend('cpu');
  // Built on cpu from one seed: both backends start from the same weights (they move to webgpu with the first step there).
  const model = make();
  const x = tf.randomUniform([o.batch, side, side, model.inputs[0]!.shape[3]!], 0, 1, 'float32', 3) as tf.Tensor4D;
  const out = model.outputs[0]!.shape;
  const y = tf.randomUniform([o.batch, out[1]!, out[2]!], 0, 3, 'int32', 4) as tf.Tensor3D;
  await useBackend(backend);
  const opt = tf.train.momentum(o.lr, 0.9);
  seedMathRandom(11);
  const got: number[] = [];
  for (let i = 0; i < steps; i++) got.push(await trainStep(model, opt, x, y, (l, t) => softmaxCrossEntropy(l, t)));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return got;
}

describe('webgpu: training steps equal the cpu backend', () => {
  // DeepLab v3+ on ResNet-50 as the replication fine-tunes it (Caffe layout, batch norm frozen). Trained with
  // batch statistics at these sizes, layer4's and the image-pooling branch's gradients are rounding noise on every engine
  // (wasm and cpu differ by 19% there), so no two engines would agree on the losses after a step.
  const cases: [string, () => tfl.LayersModel, number, number, number][] = [
    ['unet-same-bn (width 0.125)', () => build('unet-same-bn', 32, 0.125), 32, 2, 0.01],
    ['deeplabv3plus-resnet50 (Caffe layout, frozen batch norm)', () => deeplab({ ...V3PLUS, ...CAFFE_FROZEN, size: [48, 48], classes: 3, width: 0.25, seed: 7 }), 48, 4, 0.01],
    ['fcn8s-vgg16 (width 0.125)', () => build('fcn8s-vgg16', 64, 0.125), 64, 2, 0.01],
  ];
  for (const [name, make, side, batch, lr] of cases) {
    it(`${name}: 3 steps of SGD with momentum (lr ${lr}), losses within 1e-4`, { timeout: 600_000 }, async () => {
      const ref = await losses('cpu', make, side, 3, { batch, lr });
      const got = await losses('webgpu', make, side, 3, { batch, lr });
      expect(ref.every(Number.isFinite), `cpu losses ${ref}`).toBe(true);
      got.forEach((l, i) => expect(Math.abs(l - ref[i]!), `step ${i + 1}: ${l} vs ${ref[i]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref[i]!))));
    });
  }
});

describe('webgpu: inference of every registered model equals the cpu backend', () => {
  it('each model at a small size (width 0.25): logits within 1e-4 of their scale', { timeout: 600_000 }, async () => {
    const names = registeredModels().map((s) => s.name);
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const name of names) {
      await useBackend('cpu');
      const side = sideFor(name, 48);
      const model = build(name, side);
      const x = tf.randomUniform([1, side, side, model.inputs[0]!.shape[3]!], 0, 1, 'float32', 5) as tf.Tensor4D;
      const first = (m: tf.Tensor | tf.Tensor[]) => (Array.isArray(m) ? m[0]! : m);
      const ref = await first(model.predict(x)).data();
      await useBackend('webgpu');
      const got = await first(model.predict(x)).data();
      let diff = 0;
      let mag = 0;
      for (let i = 0; i < ref.length; i++) {
        diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
        mag = Math.max(mag, Math.abs(ref[i]!));
      }
      expect(got.length, name).toBe(ref.length);
      expect(diff / Math.max(mag, 1e-30), name).toBeLessThan(1e-4);
      x.dispose();
      model.dispose();
    }
  });
});
