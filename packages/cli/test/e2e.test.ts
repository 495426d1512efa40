/**
 * End to end on synthetic data written as an image/mask folder: `seg train`
 * trains a small registered model for a few hundred iterations, it reaches
 * mIoU > 0.8 on the held-out split, and `seg eval` on the saved run reports
 * the mIoU that evaluate() computes in the library. Then every kind of bad
 * input CLI.md lists ends with one sentence and a non-zero exit.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atrousConv,
  conv,
  datasetMedianFrequency,
  downscaled,
  convBnRelu,
  evaluate,
  infer,
  readImage,
  readLabelPng,
  fileSystem,
  engineInfo,
  initEngine,
  maxPool,
  openDataset,
  registerModel,
  resize,
  onnxSession,
  runOnnx,
  seededBuild,
  tf,
  tfl,
  writePng,
} from '@seg/core';
import { DEEPLAB_V2_CRF, denseCrf } from '@seg/crf';
import { seg, writeSplit } from './seg.js';

registerModel({
  name: 'test-net',
  package: '@seg/cli (tests)',
  build: (o = {}) => {
    const input = tfl.input({ shape: [...(o.size ?? [null, null]), o.channels ?? 3] });
    const skip = convBnRelu(input, 16);
    let x = maxPool(skip);
    x = convBnRelu(x, 32);
    x = atrousConv(x, 32, 2);
    x = resize(x, { like: skip });
    x = tfl.layers.concatenate().apply([x, skip]) as tfl.SymbolicTensor;
    x = convBnRelu(x, 16);
    return tfl.model({ inputs: input, outputs: conv(x, o.classes ?? 2, { kernel: 1 }) });
  },
});

/** Valid 3x3 convolutions at a fixed 44x44 input: output 40x40, like U-Net's fixed tiles. */
function validNet() {
  return seededBuild(1, () => {
    const input = tfl.input({ shape: [44, 44, 3] });
    const x = convBnRelu(input, 8, { padding: 'valid' });
    return tfl.model({ inputs: input, outputs: conv(x, 3, { padding: 'valid' }) });
  });
}

describe('seg train / eval / predict end to end', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-e2e-'));
    data = path.join(dir, 'data');
    await writeSplit(data, 'train', 40, { size: 48, seed: 1, padNames: true });
    await writeSplit(data, 'val', 10, { size: 48, seed: 2, padNames: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains to mIoU > 0.8 on held-out synthetic images; seg eval reports the same mIoU', async () => {
    const run = path.join(dir, 'run');
    const t = await seg('train', '--model', 'test-net', '--data', data, '--format', 'folder', '--classes', '3', '--size', '40x40', '--batch', '4', '--iters', '300', '--lr', '0.05', '--checkpoint-every', '100', '--out', run, '--json');
    expect(t.stderr).not.toMatch(/seg: [A-Z]/);
    expect(t.code).toBe(0);
    const summary = JSON.parse(t.stdout);
    expect(summary).toMatchObject({ iters: 300, backend: engineInfo()!.backend });
    expect(summary.loss).toBeLessThan(0.3);

    const e = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json');
    expect(e.code).toBe(0);
    const cli = JSON.parse(e.stdout);
    expect(cli.miou).toBeGreaterThan(0.8);
    expect(cli.images).toBe(10);
    expect(Object.keys(cli)).toEqual(['miou', 'pixel_acc', 'mean_acc', 'fw_iou', 'per_class', 'images']);

    const model = await tfl.loadLayersModel(fileSystem(path.join(run, 'checkpoint', 'model')));
    const lib = await evaluate(model, await openDataset(data, 'folder', 'val', { classes: 3 }));
    expect(cli.miou).toBeCloseTo(lib.miou, 10);

    const p = await seg('predict', '--run', run, path.join(data, 'val', 'images', 'img000.png'), '--out', path.join(dir, 'pred'), '--json');
    expect(p.code).toBe(0);
    const [written] = JSON.parse(p.stdout);
    expect(existsSync(written.mask) && existsSync(written.overlay)).toBe(true);
    const log = readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(log.length).toBeGreaterThan(10);
  });

  it("--class-weights median trains with the dataset's median-frequency weights; seg eval --bf --downscale 2 scores as the library does", async () => {
    const run = path.join(dir, 'run-mfb');
    const t = await seg('train', '--model', 'test-net', '--data', data, '--format', 'folder', '--classes', '3', '--size', '40x40', '--iters', '3', '--class-weights', 'median', '--out', run, '--json');
    expect(t.code).toBe(0);
    const want = await datasetMedianFrequency(await openDataset(data, 'folder', 'train', { classes: 3 }));
    expect(t.stderr).toContain(`seg: median-frequency class weights of folder: ${want.map((w) => w.toFixed(4)).join(', ')}`);
    expect(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')).classWeights).toEqual(want);
    const e = await seg('eval', '--run', path.join(dir, 'run'), '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--bf', '--downscale', '2', '--json');
    expect(e.code).toBe(0);
    const model = await tfl.loadLayersModel(fileSystem(path.join(dir, 'run', 'checkpoint', 'model')));
    const lib = await evaluate(model, downscaled(await openDataset(data, 'folder', 'val', { classes: 3 }), 2), { classBoundary: true });
    expect(JSON.parse(e.stdout).bf).toBeCloseTo(lib.bf!, 10);
    expect(JSON.parse(e.stdout).miou).toBeCloseTo(lib.miou, 10);
  });

  it('--crf: seg eval and seg predict refine the softmax with the dense CRF, as the library does', async () => {
    const run = path.join(dir, 'run');
    const e = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--crf', '--bilateral', '5,20,15', '--json');
    expect(e.code).toBe(0);
    const cli = JSON.parse(e.stdout);
    const model = await tfl.loadLayersModel(fileSystem(path.join(run, 'checkpoint', 'model')));
    const params = { ...DEEPLAB_V2_CRF, bilateral: { weight: 5, thetaAlpha: 20, thetaBeta: 15 } };
    const lib = await evaluate(model, await openDataset(data, 'folder', 'val', { classes: 3 }), {
      refine: (p, s) => ({ ...p, labels: denseCrf({ width: p.width, height: p.height, labels: 3, probs: p.probs, image: s.image.map((x) => x * 255), channels: 3 }, params).labels as Uint8Array }),
    });
    expect(cli.miou).toBeCloseTo(lib.miou, 10);
    expect(cli.miou).toBeGreaterThan(0.8);

    const image = path.join(data, 'val', 'images', 'img001.png');
    const p = await seg('predict', '--run', run, image, '--out', path.join(dir, 'pred-crf'), '--crf', '--json');
    expect(p.code).toBe(0);
    const [written] = JSON.parse(p.stdout);
    const raw = await readImage(image, 3);
    const direct = await infer(model, { id: 'x', width: 48, height: 48, channels: 3, image: Float32Array.from(raw.data, (x) => x / 255), mask: new Uint8Array(0) });
    const want = denseCrf({ width: 48, height: 48, labels: 3, probs: direct.probs, image: raw.data, channels: 3 }).labels;
    const got = await readLabelPng(written.mask);
    expect(Array.from(got.data)).toEqual(Array.from(want));
  });

  it('--engine onnx: seg eval and seg predict through onnxruntime give the tfjs results; seg export writes the graph onnxruntime runs', async () => {
    const run = path.join(dir, 'run');
    const args = ['--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json'];
    const tfjs = JSON.parse((await seg('eval', ...args)).stdout);
    const onnx = await seg('eval', ...args, '--engine', 'onnx');
    expect(onnx.code).toBe(0);
    expect(JSON.parse(onnx.stdout).miou).toBeCloseTo(tfjs.miou, 4);

    const image = path.join(data, 'val', 'images', 'img002.png');
    const masks: number[][] = [];
    for (const engine of ['tfjs', 'onnx']) {
      const p = await seg('predict', '--run', run, image, '--out', path.join(dir, `pred-${engine}`), '--engine', engine, '--json');
      expect(p.code).toBe(0);
      masks.push(Array.from((await readLabelPng(JSON.parse(p.stdout)[0].mask)).data));
    }
    const differ = masks[0]!.filter((v, i) => v !== masks[1]![i]).length;
    expect(differ / masks[0]!.length).toBeLessThanOrEqual(0.001);

    const file = path.join(dir, 'export', 'run.onnx');
    const e = await seg('export', '--run', run, '--size', '48x48', '--out', file, '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual({
      file,
      opset: 13,
      inputs: [{ name: 'input', shape: [1, 3, 48, 48], layout: 'NCHW' }],
      outputs: [{ name: 'logits', shape: [1, 3, 48, 48], layout: 'NCHW' }],
    });
    const model = await tfl.loadLayersModel(fileSystem(path.join(run, 'checkpoint', 'model')));
    const raw = await readImage(image, 3);
    const x = tf.tensor4d(Float32Array.from(raw.data, (v) => v / 255), [1, 48, 48, 3]);
    const want = tf.tidy(() => tf.transpose(model.predict(x) as tf.Tensor4D, [0, 3, 1, 2]).dataSync());
    const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
    const session = await onnxSession(readFileSync(file));
    const got = (await runOnnx(session, nchw, [1, 3, 48, 48])).data;
    await session.release();
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThanOrEqual(1e-3);
    x.dispose();

    const zoo = await seg('export', '--model', 'test-net', '--size', '32x40', '--classes', '4', '--out', path.join(dir, 'export', 'net.onnx'), '--json');
    expect(JSON.parse(zoo.stdout).outputs[0].shape).toEqual([1, 4, 32, 40]);
  });

  it('seg bench times each engine, says why one is skipped, and writes the report', async () => {
    const report = path.join(dir, 'bench');
    const r = await seg('bench', '--models', 'test-net', '--engines', 'onnx,wasm,tensorflow', '--size', '32x32', '--samples', '2', '--report', report, '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((x: { engine: string }) => x.engine)).toEqual(['onnx', 'wasm', 'tensorflow']);
    for (const row of rows.slice(0, 2)) {
      expect(row).toMatchObject({ model: 'test-net', size: '32x32', batch: 1, mode: 'inference', samples: 2 });
      expect(row.mean_ms).toBeGreaterThan(0);
      expect(row.p99_ms).toBeGreaterThanOrEqual(row.p50_ms);
    }
    // tensorflow is timed where it loads (CI builds it), and skipped with the loader's reason where it does not.
    const tfLoads = await initEngine({ backend: 'tensorflow', force: true }).then(() => true, (err: Error) => err.message);
    await initEngine({ force: true });
    if (tfLoads === true) expect(rows[2]).toMatchObject({ engine: 'tensorflow', samples: 2, mode: 'inference' });
    else expect(rows[2]).toMatchObject({ engine: 'tensorflow', mean_ms: null, samples: 0, skipped: (tfLoads as string).replace(/^SEG_BACKEND=tensorflow: /, '').replace(/\.$/, '') });
    // cpu is timed only when a warmed pass at 1/8 of the size predicts a sample under 30 s: this small net is.
    const c = await seg('bench', '--models', 'test-net', '--engines', 'cpu', '--size', '64x64', '--samples', '1', '--json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject([{ engine: 'cpu', model: 'test-net', size: '64x64', mode: 'inference', samples: 1 }]);
    expect(JSON.parse(c.stdout)[0].mean_ms).toBeGreaterThan(0);
    const t = await seg('bench', '--models', 'test-net', '--engines', 'onnx,wasm', '--size', '32x32', '--samples', '2', '--train', '--report', report, '--json');
    const trainRows = JSON.parse(t.stdout);
    expect(trainRows[0]).toMatchObject({ engine: 'onnx', mode: 'train', skipped: 'onnxruntime-node runs inference only' });
    expect(trainRows[1]).toMatchObject({ engine: 'wasm', mode: 'train', batch: 2, samples: 2 });
    // train rows carry the row's peak resident memory (Linux)
    expect(trainRows[1].peak_rss_mb).toBeGreaterThan(10);
    // The report holds both runs' rows (merged by model, engine and mode), a table and the chart.
    const json = JSON.parse(readFileSync(path.join(report, 'latency.json'), 'utf8'));
    expect(json.rows).toHaveLength(5);
    expect(readFileSync(path.join(report, 'latency.md'), 'utf8')).toContain('| test-net | wasm | 32x32 | 2 |');
    expect(readFileSync(path.join(report, 'latency.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('seg info builds a registered model and reports params, MACs and shapes', async () => {
    const r = await seg('info', '--model', 'test-net', '--classes', '3', '--size', '32x40', '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.input).toEqual([32, 40, 3]);
    expect(info.output).toEqual([32, 40, 3]);
    // convs: 3->16 3x3 at 32x40; 16->32 3x3 and 32->32 3x3 at 16x20; 48->16 3x3 at 32x40; 16->3 1x1 at 32x40
    expect(info.macs).toBe(32 * 40 * 9 * 3 * 16 + 16 * 20 * 9 * 16 * 32 + 16 * 20 * 9 * 32 * 32 + 32 * 40 * 9 * 48 * 16 + 32 * 40 * 16 * 3);
  });

  it('bad input: one sentence naming the flag or file, non-zero exit, nothing half-written', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--model', 'nope', '--data', data, '--format', 'folder'], /^seg: Unknown model "nope" \(--model\); seg models lists them\.$/],
      [['info', '--model', 'unet', '--size', '500x500'], /^seg: --size 500x500 does not fit unet: each side must be even at every 2x2 pooling after its valid convolutions \(572, 588, \.\.\.\); not 500 \(nearest valid: 492 or 508\)\.$/],
      [['export', '--model', 'unet-same-bn', '--size', '512x500', '--out', path.join(dir, 'x', 'u.onnx')], /^seg: --size 512x500 does not fit unet-same-bn: each side must be a multiple of 16 .*; not 500 \(nearest valid: 496 or 512\)\.$/],
      [['train', '--model', 'test-net', '--data', data, '--format', 'folder', '--classes', '3', '--class-weights', '1,2'], /^seg: --class-weights must be median or 3 non-negative numbers separated by commas, one per class \(got "1,2"\)\.$/],
      [['train', '--model', 'test-net', '--data', path.join(dir, 'missing'), '--format', 'folder'], /^seg: --data folder .*missing does not exist\.$/],
      [['train', '--model', 'test-net', '--data', data, '--format', 'png', '--classes', '3'], /^seg: --format must be one of voc, voc-aug, camvid, isbi, cityscapes, ade20k, folder \(got "png"\)\.$/],
      [['train', '--model', 'test-net', '--data', data, '--format', 'folder', '--classes', '3', '--size', '40'], /^seg: --size must be HxW, e.g\. 256x256 \(got "40"\)\.$/],
      [['eval', '--run', path.join(dir, 'norun'), '--data', data, '--format', 'folder', '--classes', '3'], /^seg: --run folder .*norun does not exist\.$/],
      [['predict', '--run', path.join(dir, 'run'), path.join(dir, 'nope.png'), '--out', path.join(dir, 'p2')], /^seg: Image .*nope\.png does not exist\.$/],
      [['eval', '--run', path.join(dir, 'run'), '--data', data, '--format', 'folder', '--classes', '3', '--engine', 'tpu'], /^seg: --engine must be one of tfjs, onnx \(got "tpu"\)\.$/],
      [['export', '--model', 'test-net', '--out', path.join(dir, 'x', 'a.onnx')], /^seg: seg export --model test-net needs --size HxW\.$/],
      [['export', '--model', 'test-net', '--size', '32x32'], /^seg: seg export needs --out FILE\.onnx; see seg export --help\.$/],
      [['export', '--run', path.join(dir, 'run'), '--classes', '4', '--out', path.join(dir, 'x', 'a.onnx')], /^seg: --classes applies to --model only: a trained model keeps its classes\.$/],
      [['bench', '--engines', 'gpu'], /^seg: --engines takes onnx, tensorflow, webgpu, wasm, cpu \(got "gpu"\)\.$/],
    ];
    for (const [argv, message] of cases) {
      const r = await seg(...argv);
      expect(r.code, argv.join(' ')).toBeGreaterThan(0);
      expect(r.stderr, argv.join(' ')).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(1);
    }
    expect(existsSync(path.join(dir, 'p2'))).toBe(false);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);

    // a fixed-size valid-convolution model needs overlap-tile for other image sizes
    const fixed = path.join(dir, 'fixed');
    await validNet().save(fileSystem(fixed));
    const image = path.join(data, 'val', 'images', 'img001.png');
    const wrong = await seg('predict', '--weights', fixed, image, '--out', path.join(dir, 'p3'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(`seg: Image ${image} is 48x48 but the model takes exactly 44x44; use overlap-tile (--tile 44x44) or a sliding window (--window 44x44).`);
    const tiled = await seg('predict', '--weights', fixed, image, '--out', path.join(dir, 'p3'), '--tile', '44x44', '--json');
    expect(tiled.code).toBe(0);

    // a label map whose size differs from its image: named in the error
    const bad = path.join(dir, 'bad');
    await writeSplit(bad, 'val', 1, { size: 48, seed: 3, padNames: true });
    await writePng(path.join(bad, 'val', 'masks', 'img000.png'), { width: 8, height: 8, channels: 1, data: new Uint8Array(64) });
    const mismatch = await seg('eval', '--run', path.join(dir, 'run'), '--data', bad, '--format', 'folder', '--classes', '3');
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toBe(`seg: 1 of 1 samples of folder cannot be used: label map ${path.join(bad, 'val', 'masks', 'img000.png')} is 8x8 but its image ${path.join(bad, 'val', 'images', 'img000.png')} is 48x48.`);

    // a corrupt checkpoint
    const corrupt = path.join(dir, 'corrupt');
    mkdirSync(path.join(corrupt, 'checkpoint', 'model'), { recursive: true });
    writeFileSync(path.join(corrupt, 'checkpoint', 'model', 'model.json'), readFileSync(path.join(dir, 'run', 'checkpoint', 'model', 'model.json')));
    writeFileSync(path.join(corrupt, 'checkpoint', 'model', 'weights.bin'), Buffer.alloc(100));
    const c = await seg('eval', '--run', corrupt, '--data', data, '--format', 'folder', '--classes', '3');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^seg: .*weights\.bin holds 100 bytes but model\.json describes \d+; the checkpoint is corrupt\.$/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
