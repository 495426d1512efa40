/**
 * seg bench takes what it runs from the registrations: every registered
 * model (the variants too) at its own input, channels and classes, and the
 * report's goals from each model's PyTorch timings, naming a registered
 * model it has no row for as unmeasured, never as missing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerModel, registeredModels, tfl } from '@seg/core';
import { architecturePackages } from '../src/architecture-packages.js';
import { benchTargets, TRAIN_SIZE } from '../src/bench-models.js';
import { writeBenchReport, type BenchRow } from '../src/bench-report.js';

registerModel({ name: 'bench-sizeless-net', package: '@seg/cli (tests)', build: () => tfl.sequential() });

describe('seg bench runs every registered model at its own input and classes', () => {
  it('inference: each at its stated input, channels and classes (SegNet-Basic at 360x480x3, 11 classes)', async () => {
    const targets = await benchTargets({ train: false });
    const declared = architecturePackages().packages.flatMap((p) => p.models);
    expect(targets.map((t) => t.spec.name).sort()).toEqual([...declared].sort());
    const of = (name: string) => targets.find((t) => t.spec.name === name)!;
    expect(of('segnet-basic')).toMatchObject({ size: [360, 480], channels: 3, classes: 11 });
    expect(of('unet')).toMatchObject({ size: [572, 572], channels: 1, classes: 2 });
    expect(of('deeplabv3plus-resnet50')).toMatchObject({ size: [513, 513], channels: 3, classes: 21 });
  });

  it('training: at 256x256 unless --size, still with each model\'s channels and classes', async () => {
    const targets = await benchTargets({ models: ['segnet-basic', 'unet'], train: true });
    expect(targets.map(({ size, channels, classes }) => ({ size, channels, classes }))).toEqual([
      { size: TRAIN_SIZE, channels: 3, classes: 11 },
      { size: TRAIN_SIZE, channels: 1, classes: 2 },
    ]);
    expect((await benchTargets({ models: ['unet'], size: [64, 64], train: true }))[0]!.size).toEqual([64, 64]);
  });

  it('a model that states no input needs --size, in one sentence', async () => {
    await expect(benchTargets({ models: ['bench-sizeless-net'], train: false })).rejects.toThrow(/^seg bench --models bench-sizeless-net needs --size HxW\.$/);
  });
});

describe('the bench report', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seg-bench-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets each onnx row beside its registered PyTorch timing and names the registered models it has no onnx row for', async () => {
    const row = (model: string, engine: string, mean_ms: number): BenchRow => ({ model, engine, size: '8x8', batch: 1, mode: 'inference', mean_ms, p50_ms: mean_ms, p99_ms: mean_ms, samples: 1 });
    await writeBenchReport(dir, [row('unet', 'onnx', 1500), row('fcn8s-vgg16', 'onnx', 1000), row('fcn8s-vgg16', 'wasm', 3000)], { threads: 2 });
    const md = readFileSync(path.join(dir, 'latency.md'), 'utf8');
    expect(md).toContain('| fcn8s-vgg16 | 1.00 s | 1.26 s | 0.80 | yes | 3.00 s | 3.00 | no |');
    // rows in registration order
    expect(md.indexOf('| fcn8s-vgg16 | onnx')).toBeLessThan(md.indexOf('| unet | onnx'));
    const unmeasured = registeredModels().filter((m) => m.pytorchMs?.onnx && !['unet', 'fcn8s-vgg16'].includes(m.name)).map((m) => m.name);
    expect(unmeasured).toContain('segnet-vgg16');
    expect(md).toContain(`Not measured on onnx in this report: ${unmeasured.join(', ')} (`);
    expect(md).not.toMatch(/landed/);
  });
});
