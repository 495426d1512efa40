/**
 * `seg` with PSPNet: the zoo listing and counts with and without the
 * auxiliary head, a run that trains it (at batch 1 too) and whose eval and
 * export leave it out, and one sentence for a bad --aux-weight.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '@seg/core';
import { seg, writeSplit } from './seg.js';

describe('seg with PSPNet', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-pspnet-'));
    data = path.join(dir, 'data');
    await writeSplit(data, 'train', 4, { size: 48, seed: 3 });
    await writeSplit(data, 'val', 2, { size: 48, seed: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const train = (out: string, ...more: string[]) =>
    seg('train', '--model', 'pspnet-resnet50', '--data', data, '--format', 'folder', '--classes', '3', '--size', '32x32', '--iters', '1', '--out', path.join(dir, out), ...more);

  it('seg models and seg info: 46,592,597 parameters, 48,957,802 with the auxiliary head of weight 0.4', async () => {
    const r = await seg('models', '--json');
    expect(r.code).toBe(0);
    const psp = (JSON.parse(r.stdout) as { name: string }[]).find((m) => m.name === 'pspnet-resnet50');
    expect(psp).toMatchObject({ available: true, params: 46_592_597, params_with_aux: 48_957_802, auxiliary: { aux_upsample: 0.4 }, pretrained: ['imagenet', 'imagenet-caffe'], package: '@seg/pspnet' });
    expect((await seg('models')).stdout).toMatch(/pspnet-resnet50 .* imagenet,imagenet-caffe\s+0\.4$/m);
    const info = await seg('info', '--model', 'pspnet-resnet50', '--json');
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ params: 46_592_597, aux_params: 48_957_802 - 46_592_597, input: [473, 473, 3], output: [473, 473, 21] });
  }, 120_000);

  it('trains with the auxiliary head (weight 0.4); eval and export use the model without it', async () => {
    const r = await train('aux', '--batch', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = path.join(dir, 'aux');
    expect(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')).auxiliaryLosses).toEqual({ aux_upsample: 0.4 });
    expect(readFileSync(path.join(run, 'checkpoint', 'model', 'model.json'), 'utf8')).toContain('aux_upsample');
    const e = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { miou: number }).miou).toBeGreaterThanOrEqual(0);
    const x = await seg('export', '--run', run, '--size', '32x32', '--out', path.join(dir, 'psp.onnx'), '--json');
    expect(x.code, x.stderr).toBe(0);
    expect((JSON.parse(x.stdout) as { outputs: { name: string; shape: number[] }[] }).outputs).toEqual([{ name: 'logits', shape: [1, 3, 32, 32], layout: 'NCHW' }]);
    expect(readFileSync(path.join(dir, 'psp.onnx')).includes(Buffer.from('aux_'))).toBe(false);
  }, 240_000);

  it('--aux-weight 0 builds it without the head, and it trains at batch 1', async () => {
    const r = await train('plain', '--batch', '1', '--aux-weight', '0', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = path.join(dir, 'plain');
    expect(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')).auxiliaryLosses).toBeUndefined();
    expect(readFileSync(path.join(run, 'checkpoint', 'model', 'model.json'), 'utf8')).not.toContain('aux_');
    expect(Number.isFinite((JSON.parse(r.stdout) as { loss: number }).loss)).toBe(true);
  }, 240_000);

  it('a bad --aux-weight is one sentence and exit 2', async () => {
    const negative = await train('neg', '--aux-weight', '-1');
    expect(negative.code).toBe(2);
    expect(negative.stderr.trim()).toBe('seg: --aux-weight must be a non-negative number (got "-1").');
    const unet = await seg('train', '--model', 'unet-same-bn', '--data', data, '--format', 'folder', '--classes', '3', '--aux-weight', '0.4', '--out', path.join(dir, 'unet'));
    expect(unet.code).toBe(2);
    expect(unet.stderr.trim()).toBe('seg: --aux-weight applies to models with an auxiliary head; unet-same-bn has none.');
  });
});
