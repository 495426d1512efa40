/**
 * Auxiliary outputs (models/auxiliary.ts): the trainer weighs each by its
 * output name; inference and export take the model without them; a weight
 * that names no output, or an output without a weight, is one sentence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auxiliaryLossWeights,
  auxiliaryOutputs,
  BatchLoader,
  conv,
  convBnRelu,
  exportOnnx,
  infer,
  initEngine,
  InputError,
  readTrainingLog,
  resize,
  seededBuild,
  setNoiseStep,
  softmaxCrossEntropy,
  syntheticDataset,
  tf,
  tfl,
  train,
  withoutAuxiliary,
} from '../src/index.js';

/** A main head at 1/2 resolution and an auxiliary head on an earlier feature, both upsampled to the input. */
function deeplySupervised(seed: number) {
  return seededBuild(seed, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const early = convBnRelu(input, 6, { stride: 2 });
    const late = convBnRelu(early, 6);
    const main = resize(conv(late, 3, { kernel: 1 }), { like: input, name: 'main_up' });
    const aux = resize(conv(early, 3, { kernel: 1 }), { like: input, name: 'aux_up' });
    return tfl.model({ inputs: input, outputs: [main, aux] });
  });
}

const data = syntheticDataset({ count: 6, height: 24, width: 24, classes: 3, seed: 8 });

describe('auxiliary outputs', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-aux-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are named by their output layers and left out of inference and export', async () => {
    const m = deeplySupervised(1);
    expect(auxiliaryOutputs(m)).toEqual(['aux_up']);
    const net = withoutAuxiliary(m);
    expect(net.outputs).toHaveLength(1);
    expect(withoutAuxiliary(m)).toBe(net);
    expect(withoutAuxiliary(net)).toBe(net);
    const s = await data.get(0);
    const direct = tf.tidy(() => tf.softmax(net.predict(tf.tensor4d(s.image, [1, 24, 24, 3])) as tf.Tensor).dataSync());
    expect(Array.from((await infer(m, s)).probs)).toEqual(Array.from(direct));
    const e = exportOnnx(m, { size: [24, 24] });
    expect(e.outputs.map((o) => o.name)).toEqual(['logits']);
    m.dispose();
  });

  it('the trainer adds each weighted auxiliary loss: the first logged loss is CE(main) + w x CE(aux)', async () => {
    const cfg = { iters: 1, batchSize: 2, optimizer: { name: 'sgd' as const, lr: 0.1, momentum: 0.9 }, seed: 3, logEvery: 1, quiet: true };
    // The loss the trainer computes at its first step, from the first batch and the untrained weights.
    const expected = async (w: number) => {
      const m = deeplySupervised(2);
      const samples = await new BatchLoader(data, 2, 3).samples(0);
      setNoiseStep(3, 0);
      const loss = tf.tidy(() => {
        const b = BatchLoader.toTensors(samples);
        const [main, aux] = m.apply(b.images, { training: true }) as tf.Tensor4D[];
        return tf.add(softmaxCrossEntropy(main!, b.labels), tf.mul(softmaxCrossEntropy(aux!, b.labels), w)).dataSync()[0]!;
      });
      setNoiseStep(undefined);
      m.dispose();
      return loss;
    };
    const logged = async (w: number) => {
      const m = deeplySupervised(2);
      const runDir = path.join(dir, `w${w}`);
      await train(m, data, { ...cfg, runDir, auxiliaryLosses: { aux_up: w } });
      m.dispose();
      return (await readTrainingLog(runDir))[0]!.loss;
    };
    const [l0, l4] = [await logged(0), await logged(0.4)];
    expect(l0).toBeCloseTo(await expected(0), 5);
    expect(l4).toBeCloseTo(await expected(0.4), 5);
    expect(l4).toBeGreaterThan(l0);
  });

  it('refuses a weight that names no output and an output without a weight, in one sentence each', async () => {
    const m = deeplySupervised(3);
    expect(() => auxiliaryLossWeights(m, { aux: 0.4 })).toThrow(new InputError('The auxiliary loss weight for "aux" names no output of ' + m.name + '; its auxiliary outputs are aux_up.'));
    expect(() => auxiliaryLossWeights(m, { aux_up: -1 })).toThrow('The auxiliary loss weight for "aux_up" must be a non-negative number (got -1).');
    await expect(train(m, data, { iters: 1, batchSize: 2, optimizer: { name: 'sgd', lr: 0.1 }, runDir: path.join(dir, 'none'), quiet: true })).rejects.toThrow(
      `${m.name} has an auxiliary output "aux_up" with no loss weight; give it one in auxiliaryLosses (0 to leave it out).`,
    );
    expect(auxiliaryLossWeights(m, { aux_up: 0.4 })).toEqual([{ index: 1, name: 'aux_up', weight: 0.4 }]);
    m.dispose();
  });
});
