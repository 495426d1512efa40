/**
 * Our VGG16, ResNet-50 and ResNet-101, started from safetensors files in
 * timm's names (the Hub's), against torchvision's logits for the same seeded
 * weights and inputs, computed by PyTorch (scripts/imagenet-fixtures.py).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archOfFile, imagenetClassifier, imagenetInput, initEngine, readImage, seededRange, tf, writeSeededWeights } from '../src/index.js';
import { relErr } from './helpers.js';

interface Reference {
  inputs: [number, number][];
  image: { file: string; logits: number[]; top5: number[] };
  models: Record<string, { size: [number, number]; logits: number[]; top5: number[] }[]>;
}

const reference = JSON.parse(readFileSync(new URL('./fixtures/imagenet/logits.json', import.meta.url), 'utf8')) as Reference;
const dir = mkdtempSync(path.join(tmpdir(), 'seg-imagenet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const top5 = (v: ArrayLike<number>) => [...Array.from(v).keys()].sort((a, b) => v[b]! - v[a]! || a - b).slice(0, 5);

describe('ImageNet backbones against torchvision', () => {
  beforeAll(async () => {
    await initEngine();
  });
  for (const arch of ['resnet50', 'resnet101', 'vgg16'] as const) {
    it(`${arch}: logits within 1e-4 of the largest, the same top-5`, async () => {
      const file = path.join(dir, `${arch}.safetensors`);
      writeSeededWeights(file, arch);
      expect(archOfFile(file)).toBe(arch);
      const net = imagenetClassifier(file);
      try {
        if (arch === 'resnet50') {
          // A picture through our transform against torchvision's (PIL rounds to 8 bits between its passes; we do not).
          const x = imagenetInput(await readImage(fileURLToPath(new URL(`./fixtures/imagenet/${reference.image.file}`, import.meta.url))));
          const logits = net.logits(tf.tensor4d(x.data, [1, 224, 224, 3]));
          const ours = logits.dataSync();
          logits.dispose();
          expect(relErr(ours, reference.image.logits), 'the image').toBeLessThanOrEqual(1e-3);
          expect(top5(ours)).toEqual(reference.image.top5);
        }
        for (const ref of reference.models[arch]!) {
          const [h, w] = ref.size;
          const x = tf.tensor4d(seededRange(`input.${h}x${w}`, h * w * 3, -2, 2), [1, h, w, 3]);
          const logits = net.logits(x);
          const ours = logits.dataSync();
          x.dispose();
          logits.dispose();
          expect(relErr(ours, ref.logits), `${arch} at ${h}x${w}`).toBeLessThanOrEqual(1e-4);
          expect(top5(ours)).toEqual(ref.top5);
        }
      } finally {
        net.dispose();
        rmSync(file, { force: true });
      }
    });
  }
});
