import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelSpec } from '@seg/core';
import { architecturePackages } from '../src/architecture-packages.js';
import { segWithEngineLine as seg } from './seg.js';

/** Every model the architecture packages declare. */
const declared = architecturePackages().packages.flatMap((p) => p.models);

describe('seg models', () => {
  it('--json lists every registered model with its registered parameter count', async () => {
    const r = await seg('models', '--json');
    expect(r.code).toBe(0);
    const models = JSON.parse(r.stdout) as { name: string; params: number; input: number[]; classes: number; package: string; paper: string }[];
    // every declared model once: the papers' configurations first, then the variants they study (SegNet-Basic and Table 1's decoders)
    expect(models.map((m) => m.name).sort()).toEqual([...declared].sort());
    const variant = (name: string) => modelSpec(name)!.variant === true;
    const firstVariant = models.findIndex((m) => variant(m.name));
    expect(models.slice(0, firstVariant).some((m) => variant(m.name))).toBe(false);
    expect(models.slice(firstVariant).every((m) => variant(m.name))).toBe(true);
    expect(models.slice(firstVariant).map((m) => m.name)).toContain('segnet-basic');
    expect(models.find((m) => m.name === 'segnet-basic')).toMatchObject({ params: 1_416_075, input: [360, 480], classes: 11, package: '@seg/segnet', paper: 'Badrinarayanan et al. 2017 (Table 1)' });
    expect(models.find((m) => m.name === 'deeplabv1-largefov')).toMatchObject({ params: 20_505_429, input: [321, 321], classes: 21, package: '@seg/deeplab', paper: 'Chen et al. 2015 (v1)' });
    expect(models.find((m) => m.name === 'pspnet-resnet50')).toMatchObject({ params: 46_592_597, params_with_aux: 48_957_802, pretrained: ['imagenet', 'imagenet-caffe'], auxiliary: { aux_upsample: 0.4 } });
    // the engine line goes to stderr, once
    expect(r.stderr.match(/seg: backend \w+.*\d+ threads?/g)?.length).toBe(1);
  });

  it('prints a table without --json', async () => {
    const r = await seg('models');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^model\s+package\s+params/);
    expect(r.stdout).toContain('134,376,863');
  });

  it('marks the models of installed packages available and builds them for seg info', async () => {
    const models = JSON.parse((await seg('models', '--json')).stdout) as { name: string; available: boolean }[];
    expect(models.find((m) => m.name === 'unet')?.available).toBe(true);
    expect(models.find((m) => m.name === 'deeplabv3plus-resnet50')?.available).toBe(true);
    expect(models.find((m) => m.name === 'fcn8s-vgg16')?.available).toBe(true);
    expect(models.find((m) => m.name === 'segnet-vgg16')?.available).toBe(true);
    expect(models.find((m) => m.name === 'pspnet-resnet50')?.available).toBe(true);
    const info = JSON.parse((await seg('info', '--model', 'unet', '--json')).stdout);
    expect(info).toMatchObject({ name: 'unet', params: 31_030_658, input: [572, 572, 1], output: [388, 388, 2] });
    expect(info.macs).toBeGreaterThan(5e10);
  });

  it('bad input ends with one sentence and a non-zero exit', async () => {
    const unknownVerb = await seg('trian');
    expect(unknownVerb.code).toBe(2);
    expect(unknownVerb.stderr).toBe('seg: Unknown verb "trian"; did you mean "train"?');
    const unknownFlag = await seg('models', '--jsn');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/^seg: seg models does not take --jsn; did you mean --json\?$/m);
    expect(unknownFlag.stdout).toBe('');
  });
});

describe('the seg binary', () => {
  const bin = new URL('../dist/bin.js', import.meta.url).pathname;

  it('runs as a process: engine line on stderr, JSON on stdout, exit 0', async () => {
    const { execFileSync } = await import('node:child_process');
    const stdout = execFileSync('node', [bin, 'models', '--json'], { encoding: 'utf8', env: { ...process.env, SEG_BACKEND: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // the configurations and the eight SegNet-Basic variants
    expect(JSON.parse(stdout)).toHaveLength(declared.length);
  });

  it('a bad SEG_BACKEND ends with one sentence naming it and exit 1', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('node', [bin, 'models'], { encoding: 'utf8', env: { ...process.env, SEG_BACKEND: 'gpu' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('seg: SEG_BACKEND must be one of auto, tensorflow, webgpu, wasm, cpu (got "gpu").');
    expect(r.stdout).toBe('');
  });

  it('a zoo model whose package is not installed is listed as unavailable, and using it is one sentence', async () => {
    const { spawnSync } = await import('node:child_process');
    const hide = fileURLToPath(new URL('./fixtures/hide-pspnet.mjs', import.meta.url));
    const run = (...args: string[]) => spawnSync('node', ['--import', hide, bin, ...args], { encoding: 'utf8', env: { ...process.env, SEG_BACKEND: 'cpu' } });
    const listed = JSON.parse(run('models', '--json').stdout) as { name: string; available: boolean; params: number | null }[];
    // its package.json still names it; what only the registration states is unknown
    expect(listed.find((m) => m.name === 'pspnet-resnet50')).toMatchObject({ available: false, params: null });
    expect(listed.find((m) => m.name === 'unet')?.available).toBe(true);
    const info = run('info', '--model', 'pspnet-resnet50');
    expect(info.status).toBe(2);
    expect(info.stderr.split('\n').filter((l) => l && !l.startsWith('seg: backend'))).toEqual(['seg: Model pspnet-resnet50 needs @seg/pspnet, which is not installed.']);
  });

  it('without tfjs-node: SEG_BACKEND=tensorflow fails in one sentence, and auto says in one line that it runs on wasm and how to get the fast engine', async () => {
    const { spawnSync } = await import('node:child_process');
    const hide = fileURLToPath(new URL('./fixtures/hide-tensorflow.mjs', import.meta.url));
    const run = (backend: string) => spawnSync('node', ['--import', hide, bin, 'models'], { encoding: 'utf8', env: { ...process.env, SEG_BACKEND: backend } });
    const forced = run('tensorflow');
    expect(forced.status).toBe(1);
    expect(forced.stderr.trim()).toBe('seg: SEG_BACKEND=tensorflow: neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed.');
    const auto = run('auto');
    expect(auto.status).toBe(0);
    const lines = auto.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^seg: backend wasm, \d+ threads?$/);
    expect(lines[1]).toMatch(/^seg: the tensorflow engine is not available \(neither @tensorflow\/tfjs-node nor @tensorflow\/tfjs-node-gpu is installed\), so this runs on wasm.*pnpm install/);
    expect(lines).toHaveLength(2);
  });

  it('SEG_BACKEND=tensorflow, where it loads, prints the engine, its threads and the TensorFlow version', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('node', [bin, 'models'], { encoding: 'utf8', env: { ...process.env, SEG_BACKEND: 'tensorflow', SEG_THREADS: '2' } });
    const loads = spawnSync('node', ['-e', "require('@tensorflow/tfjs-node')"], { cwd: fileURLToPath(new URL('../../core', import.meta.url)), env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } }).status === 0;
    if (loads) {
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/^seg: backend tensorflow via @tensorflow\/tfjs-node(-gpu)? \(TensorFlow \d+\.\d+\.\d+\), 2 threads$/m);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^seg: SEG_BACKEND=tensorflow: /);
    }
  });
});
