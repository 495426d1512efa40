/**
 * `pretrained: 'imagenet'`: a model's backbone (and the head layers that
 * start from VGG16's fc6/fc7) take the weights file's tensors, laid out for
 * TensorFlow; DeepLab-LargeFOV's smaller fc6/fc7 by decimation; the model
 * normalises its input as torchvision's weights expect.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convRelu, countTrainableParams, deepest, initEngine, knownWeights, loadTorchvisionWeights, openSafetensorsSync, registerWeights, segmentationModel, tf, tfl, writeSeededWeights, type ImageNetArch } from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seg-starts-'));
const before = process.env.SEG_WEIGHTS_DIR;
const originals = ['vgg16-imagenet', 'resnet101-imagenet'].map((n) => ({ ...knownWeights(n) }));

/** The seeded file of `arch` in a weights folder, registered at its own size (the pinned one is the Hub's). */
function seededStore(arch: ImageNetArch): string {
  const w = knownWeights(`${arch}-imagenet`);
  const file = path.join(dir, `${w.name}.safetensors`);
  writeSeededWeights(file, arch);
  registerWeights({ ...w, size: statSync(file).size, sha256: null });
  return file;
}

/** file[name] at [o, i, y, x] (PyTorch's layout). */
function at(file: string, name: string, [o, i, y, x]: number[]): number {
  const f = openSafetensorsSync(file);
  try {
    const [, I, H, W] = f.shape(name);
    return f.read(name)[((o! * I! + i!) * H! + y!) * W! + x!]!;
  } finally {
    f.close();
  }
}

/** A bias of the file. */
function bias(file: string, name: string): Float32Array {
  const f = openSafetensorsSync(file);
  try {
    return f.read(name);
  } finally {
    f.close();
  }
}

/** Our kernel [kh, kw, in, out] at [y, x, i, o]. */
const ours = (m: tfl.LayersModel, layer: string, [y, x, i, o]: number[]) => {
  const k = m.getLayer(layer).getWeights()[0]!;
  const [, kw, ci, co] = k.shape as number[];
  return (k.dataSync() as Float32Array)[((y! * kw! + x!) * ci! + i!) * co! + o!]!;
};

describe("pretrained: 'imagenet' from torchvision's weights", () => {
  let vgg: string;
  let r101: string;
  beforeAll(async () => {
    await initEngine();
    process.env.SEG_WEIGHTS_DIR = dir;
    vgg = seededStore('vgg16');
    r101 = seededStore('resnet101');
  });
  afterAll(() => {
    if (before === undefined) delete process.env.SEG_WEIGHTS_DIR;
    else process.env.SEG_WEIGHTS_DIR = before;
    originals.forEach(registerWeights);
    rmSync(dir, { recursive: true, force: true });
  });

  it('VGG16 with FCN\'s fc6/fc7 as they are, and DeepLab-LargeFOV\'s decimated: every 4th filter, every 4th input of fc7, taps 0, 3, 6 of the 7x7', () => {
    const fcn = segmentationModel({
      name: 'fcn-like',
      size: [64, 64],
      backbone: { name: 'vgg16', pretrained: 'imagenet' },
      head: (e) => conv(convRelu(convRelu(deepest(e), 4096, { kernel: 7, padding: 'same', name: 'fc6' }), 4096, { kernel: 1, name: 'fc7' }), 3, { kernel: 1, name: 'score' }),
      imagenetHead: { fc6: 'fc6', fc7: 'fc7' },
    });
    expect(fcn.layers[1]!.getClassName()).toBe('SegImageNetNormalize');
    for (const [y, x, i, o] of [[0, 0, 0, 0], [1, 2, 2, 4], [2, 1, 1, 63]]) expect(ours(fcn, 'conv1_1', [y!, x!, i!, o!]), `conv1_1 at ${[y, x, i, o].join(',')}`).toBe(at(vgg, 'features.0.weight', [o!, i!, y!, x!]));
    expect(ours(fcn, 'conv5_3', [2, 0, 511, 17])).toBe(at(vgg, 'features.28.weight', [17, 511, 2, 0]));
    expect(ours(fcn, 'fc6', [6, 3, 100, 4095])).toBe(at(vgg, 'pre_logits.fc1.weight', [4095, 100, 6, 3]));
    expect(ours(fcn, 'fc7', [0, 0, 4000, 7])).toBe(at(vgg, 'pre_logits.fc2.weight', [7, 4000, 0, 0]));
    // The classifier's own layer (score) is not from ImageNet; the bias of fc6 is.
    expect(Array.from(fcn.getLayer('fc6').getWeights()[1]!.dataSync()).slice(0, 3)).toEqual(Array.from(bias(vgg, 'pre_logits.fc1.bias').slice(0, 3)));
    fcn.dispose();

    const largefov = segmentationModel({
      name: 'largefov-like',
      size: [65, 65],
      backbone: { name: 'vgg16', deeplab: true, pretrained: 'imagenet' },
      head: (e) => conv(convRelu(convRelu(deepest(e), 1024, { kernel: 3, dilation: 12, name: 'fc6' }), 1024, { kernel: 1, name: 'fc7' }), 3, { kernel: 1, name: 'fc8' }),
      imagenetHead: { fc6: 'fc6', fc7: 'fc7' },
    });
    for (const [y, x, i, o] of [[0, 0, 0, 0], [1, 2, 5, 3], [2, 2, 511, 1023]]) expect(ours(largefov, 'fc6', [y!, x!, i!, o!])).toBe(at(vgg, 'pre_logits.fc1.weight', [4 * o!, i!, 3 * y!, 3 * x!]));
    for (const [i, o] of [[0, 0], [5, 9], [1023, 1023]]) expect(ours(largefov, 'fc7', [0, 0, i!, o!])).toBe(at(vgg, 'pre_logits.fc2.weight', [4 * o!, 4 * i!, 0, 0]));
    expect(largefov.getLayer('fc7').getWeights()[1]!.dataSync()[5]).toBe(bias(vgg, 'pre_logits.fc2.bias')[20]);
    largefov.dispose();
  }, 300_000);

  it('ResNet-101 at output stride 8: every conv and batch norm from the file, the parameter count unchanged', () => {
    const make = (pretrained: 'imagenet' | null) =>
      segmentationModel({ name: 'r101', size: [33, 33], backbone: { name: 'resnet101', outputStride: 8, pretrained }, head: (e) => conv(deepest(e), 3, { kernel: 1, name: 'classifier' }) });
    const m = make('imagenet');
    const scratch = make(null);
    expect(countTrainableParams(m)).toBe(countTrainableParams(scratch));
    expect(ours(m, 'layer3_22_conv2', [1, 1, 200, 255])).toBe(at(r101, 'layer3.22.conv2.weight', [255, 200, 1, 1]));
    expect(ours(m, 'layer4_0_downsample', [0, 0, 1023, 2047])).toBe(at(r101, 'layer4.0.downsample.0.weight', [2047, 1023, 0, 0]));
    // ConvBn: kernel, gamma, beta, moving mean, moving variance.
    const f = openSafetensorsSync(r101);
    const bn = m.getLayer('layer2_3_conv3').getWeights();
    expect(Array.from(bn[1]!.dataSync())).toEqual(Array.from(f.read('layer2.3.bn3.weight')));
    expect(Array.from(bn[4]!.dataSync())).toEqual(Array.from(f.read('layer2.3.bn3.running_var')));
    f.close();
    // Loading again replaces the values in place: no tensor is left behind.
    const before = tf.memory().numTensors;
    expect(loadTorchvisionWeights(m, r101, { arch: 'resnet101' })).toBe(104); // conv1, 33 blocks of three, 4 shortcuts
    expect(tf.memory().numTensors).toBe(before);
    const y = m.predict(tf.zeros([1, 33, 33, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 33, 33, 3]);
    tf.dispose(y);
    m.dispose();
    scratch.dispose();
  }, 300_000);
});
