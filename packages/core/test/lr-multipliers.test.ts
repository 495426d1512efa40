/** Per-layer learning-rate multipliers (TrainConfig.lrMultipliers): a step scaled exactly, SGD only. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convBnRelu, initEngine, InputError, seededBuild, syntheticDataset, tfl, train } from '../src/index.js';

const data = syntheticDataset({ count: 4, height: 16, width: 16, classes: 3, seed: 5 });
const net = () =>
  seededBuild(3, () => {
    const input = tfl.input({ shape: [16, 16, 3] });
    const x = convBnRelu(input, 4, { name: 'backbone_conv' });
    return tfl.model({ inputs: input, outputs: conv(x, 3, { kernel: 1, name: 'head' }) });
  });
const kernel = (m: tfl.LayersModel, layer: string) => m.getLayer(layer).getWeights()[0]!.dataSync() as Float32Array;

describe('learning-rate multipliers', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-lrmult-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (m: tfl.LayersModel, name: string, multiplier: number | undefined, optimizer: 'sgd' | 'adam' = 'sgd') =>
    train(m, data, {
      iters: 1,
      batchSize: 2,
      optimizer: { name: optimizer, lr: 0.1, momentum: 0.9, weightDecay: 1e-2 },
      schedule: 'constant',
      seed: 1,
      runDir: path.join(dir, name),
      quiet: true,
      ...(multiplier === undefined ? {} : { lrMultipliers: [{ layers: '^backbone_', multiplier }] }),
    });

  it('scales the matched layers\' whole step (weight decay included) and leaves the others as they were', async () => {
    const [plain, half, frozen] = [net(), net(), net()];
    const start = kernel(plain, 'backbone_conv').slice();
    await run(plain, 'plain', undefined);
    await run(half, 'half', 0.5);
    await run(frozen, 'frozen', 0);
    const step = (m: tfl.LayersModel) => kernel(m, 'backbone_conv').map((v, i) => v - start[i]!);
    const full = step(plain);
    step(half).forEach((d, i) => expect(d).toBeCloseTo(full[i]! * 0.5, 6));
    expect(step(frozen).every((d) => d === 0)).toBe(true);
    expect(full.some((d) => d !== 0)).toBe(true);
    // The head is not matched: its step is the same in all three runs.
    expect(kernel(half, 'head')).toEqual(kernel(plain, 'head'));
  });

  it('refuses Adam in one sentence (a scaled gradient does not scale its step)', async () => {
    await expect(run(net(), 'adam', 0.1, 'adam')).rejects.toThrow(InputError);
    await expect(run(net(), 'adam2', 0.1, 'adam')).rejects.toThrow(/need SGD/);
  });
});
