/**
 * seg is quiet and quick to refuse: what can be checked without the engine
 * is refused before @seg/core loads (the refusals run under a hook that
 * makes loading it fail), a mistyped verb, flag or model gets the nearest
 * name, neither TensorFlow's load-time log nor tfjs's Node.js banner reaches
 * stderr, the engine line names what runs the network, and the help lists
 * every engine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, conv, ENGINES, fileSystem, initEngine, seededBuild, tfl, writePng } from '@seg/core';
import { architecturePackages } from '../src/architecture-packages.js';
import { nearestName } from '@seg/core/names';
import { seg, segWithEngineLine } from './seg.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const noCore = fileURLToPath(new URL('./fixtures/no-core.mjs', import.meta.url));

/** The seg binary as a child process, with TF_CPP_MIN_LOG_LEVEL only where `env` sets it. */
function segProcess(args: string[], env: Record<string, string> = {}, hooks: string[] = []) {
  const base = { ...process.env };
  delete base.TF_CPP_MIN_LOG_LEVEL;
  return spawnSync('node', [...hooks.flatMap((h) => ['--import', h]), bin, ...args], { encoding: 'utf8', env: { ...base, ...env } });
}

describe('refused before the engine loads', () => {
  const cases: [string[], string][] = [
    [['train', '--model', 'unet-samebn'], 'seg: Unknown model "unet-samebn" (--model); did you mean "unet-same-bn"?'],
    [['info', '--model', 'nope'], 'seg: Unknown model "nope" (--model); seg models lists them.'],
    [['trian', '--model', 'unet'], 'seg: Unknown verb "trian"; did you mean "train"?'],
    [['train', '--model', 'unet', '--iter', '3'], 'seg: seg train does not take --iter; did you mean --iters?'],
    [['train', '--model', 'unet', '--data', '/no/such/folder', '--format', 'folder'], 'seg: --data folder /no/such/folder does not exist.'],
    [['predict', '--weights', '/no/such/model', '/no/such/image.png', '--out', '/tmp/never'], 'seg: Image /no/such/image.png does not exist.'],
    [['eval', '--run', '/no/such/run', '--data', '/', '--format', 'folder'], 'seg: --run folder /no/such/run does not exist.'],
    [['export', '--model', 'unet', '--out', 'u.onnx', '--batch', '0'], 'seg: --batch must be a positive integer (got "0").'],
    [['bench', '--engines', 'gpu'], `seg: --engines takes onnx, ${ENGINES.join(', ')} (got "gpu").`],
    [['crf', '--image', '/no/such/image.png', '--probs', 'p.npy', '--out', 'm.png'], 'seg: --image /no/such/image.png does not exist.'],
  ];
  it.each(cases)('seg %j: one sentence, exit 2, without @seg/core', (args, sentence) => {
    const r = segProcess(args, {}, [noCore]);
    expect(r.stderr).toBe(`${sentence}\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('seg --help and a verb\'s --help need no engine either', () => {
    expect(segProcess(['--help'], {}, [noCore]).status).toBe(0);
    const train = segProcess(['train', '--help'], {}, [noCore]);
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/^seg train --model NAME/);
    expect(train.stderr).toBe('');
  });
});

describe('nearest names', () => {
  it('suggests within two edits or a unique prefix, and nothing for a word near none', () => {
    const models = architecturePackages().packages.flatMap((p) => p.models);
    expect(nearestName('unet-samebn', models)).toBe('unet-same-bn');
    expect(nearestName('fcn8s', models)).toBe('fcn8s-vgg16');
    expect(nearestName('evl', ['eval', 'export'])).toBe('eval');
    expect(nearestName('fcn', ['fcn8s-vgg16', 'fcn16s-vgg16'])).toBeUndefined();
    expect(nearestName('xyz', ['models', 'info', 'train'])).toBeUndefined();
  });

  it('seg names the verb, flag or model meant, in process too', async () => {
    expect(await seg('trian')).toEqual({ code: 2, stdout: '', stderr: 'seg: Unknown verb "trian"; did you mean "train"?' });
    expect(await seg('models', '--jsn')).toEqual({ code: 2, stdout: '', stderr: 'seg: seg models does not take --jsn; did you mean --json?' });
    expect(await seg('info', '--model', 'fcn8s')).toEqual({ code: 2, stdout: '', stderr: 'seg: Unknown model "fcn8s" (--model); did you mean "fcn8s-vgg16"?' });
    expect((await seg('frobnicate')).stderr).toBe('seg: Unknown verb "frobnicate"; the verbs are models, info, train, eval, predict, export, bench, crf, data, weights (see seg --help).');
  });
});

describe('the engine line is all seg adds to stderr', () => {
  const info = ['info', '--model', 'segnet-basic', '--size', '32x32'];
  const tensorflowLoads = spawnSync('node', ['-e', "require('@tensorflow/tfjs-node')"], { cwd: fileURLToPath(new URL('../../core', import.meta.url)), env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } }).status === 0;

  // TF_ENABLE_ONEDNN_OPTS=1 makes TensorFlow log while it loads on any x86 CPU, as it does by default where oneDNN is on.
  it.skipIf(!tensorflowLoads)('tensorflow: no TensorFlow log line; TF_CPP_MIN_LOG_LEVEL=0 still shows them', () => {
    const r = segProcess(info, { SEG_BACKEND: 'tensorflow', TF_ENABLE_ONEDNN_OPTS: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^seg: backend tensorflow via @tensorflow\/tfjs-node(-gpu)? \(TensorFlow [\d.]+\), \d+ threads?\n$/);
    const shown = segProcess(info, { SEG_BACKEND: 'tensorflow', TF_ENABLE_ONEDNN_OPTS: '1', TF_CPP_MIN_LOG_LEVEL: '0' });
    expect(shown.status).toBe(0);
    expect(shown.stderr).toMatch(/^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+\] |\d{4}-\d\d-\d\d [\d:.]+: [IWEF] )/m);
  });

  it.each(['wasm', 'cpu'])('%s: no tfjs banner', (backend) => {
    const r = segProcess(info, { SEG_BACKEND: backend });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^seg: backend ${backend}, \\d+ threads?\\n$`));
  });
});

describe('--engine onnx', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-onnx-line-'));
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [null, null, 3] });
      return tfl.model({ inputs: input, outputs: conv(input, 2, { kernel: 1 }) });
    });
    await model.save(fileSystem(path.join(dir, 'model')));
    await writePng(path.join(dir, 'a.png'), { width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3).fill(90) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the engine line names onnxruntime, which runs the network, and the backend that pre- and post-processes', async () => {
    const predict = (engine: string) => segWithEngineLine('predict', '--weights', path.join(dir, 'model'), path.join(dir, 'a.png'), '--out', path.join(dir, engine), '--engine', engine);
    const onnx = await predict('onnx');
    expect(onnx.code).toBe(0);
    expect(onnx.stderr).toMatch(new RegExp(`^seg: backend onnxruntime-node \\d+\\.\\d+\\.\\d+ \\(CPU\\) for the network; pre- and post-processing on (${ENGINES.join('|')})\\b[^\\n]*$`));
    const tfjs = await predict('tfjs');
    expect(tfjs.code).toBe(0);
    expect(tfjs.stderr).toMatch(new RegExp(`^seg: backend (${ENGINES.join('|')})\\b[^\\n]*$`));
  });
});

describe('seg --help', () => {
  it('lists every engine, for SEG_BACKEND and for bench', async () => {
    const usage = (await seg('--help')).stdout;
    expect(usage).toContain(`SEG_BACKEND=${BACKEND_CHOICES.join('|')}`);
    for (const e of ENGINES) expect(usage).toContain(e);
    expect(usage).toContain('SEG_THREADS the threads of\nthe tensorflow and wasm engines');
    expect((await seg('bench', '--help')).stdout).toContain(`[--engines ${['onnx', ...ENGINES].join(',')}]`);
  });
});
