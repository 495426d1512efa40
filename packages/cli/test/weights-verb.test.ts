/**
 * `seg weights`: list, path, verify, get (from a server on 127.0.0.1 laid
 * out as the Hub), and classify against torchvision's logits for seeded
 * weights (core's fixtures, written by PyTorch).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, imagenetClasses, initEngine, knownWeights, registerWeights, seededRange, writeSafetensorsSync, writeSeededWeights } from '@seg/core';
import { seg } from './seg.js';

const FIXTURES = fileURLToPath(new URL('../../core/test/fixtures/imagenet/', import.meta.url));
const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'logits.json'), 'utf8')) as { models: Record<string, { size: [number, number]; logits: number[]; top5: number[] }[]>; image: { logits: number[]; top5: number[] } };
const original = { ...knownWeights('resnet50-imagenet') };

describe('seg weights', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seg-weights-verb-'));
  const saved = { dir: process.env.SEG_WEIGHTS_DIR, mirror: process.env.SEG_WEIGHTS_MIRROR };
  let server: Server;
  let small: Buffer;
  beforeAll(async () => {
    await initEngine();
    process.env.SEG_WEIGHTS_DIR = path.join(dir, 'weights');
    const source = path.join(dir, 'small.safetensors');
    writeSafetensorsSync(source, [['fc.weight', [10, 20]]], (_, s) => new Float32Array(s[0]! * s[1]!).fill(0.5));
    small = readFileSync(source);
    server = createServer((req, res) => (req.url === `/${original.repo}/resolve/${original.revision}/model.safetensors` ? res.end(small) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.SEG_WEIGHTS_MIRROR = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    registerWeights(original);
    for (const [k, v] of [['SEG_WEIGHTS_DIR', saved.dir], ['SEG_WEIGHTS_MIRROR', saved.mirror]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('list --json: the three files with their status, path and size; path and verify of one not fetched are one sentence', async () => {
    const r = await seg('weights', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; arch: string; status: string; path: string; download: number }[];
    expect(list.map((w) => [w.name, w.arch, w.status])).toEqual([
      ['vgg16-imagenet', 'vgg16', 'missing'],
      ['resnet50-imagenet', 'resnet50', 'missing'],
      ['resnet101-imagenet', 'resnet101', 'missing'],
    ]);
    expect(list[0]!.path).toBe(path.join(dir, 'weights', 'vgg16-imagenet.safetensors'));
    expect(list.map((w) => w.download)).toEqual([553_432_992, 102_469_840, 178_675_808]);
    const p = await seg('weights', 'path', 'vgg16-imagenet');
    expect([p.code, p.stderr]).toEqual([2, expect.stringMatching(/^seg: The vgg16-imagenet weights are not in .*; run `seg weights get vgg16-imagenet` \(553 MB/)]);
    const bad = await seg('weights', 'get', 'resnet-50');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('get fetches through SEG_WEIGHTS_MIRROR and checks the SHA-256; verify and path then answer', async () => {
    registerWeights({ ...original, size: small.length, sha256: createHash('sha256').update(small).digest('hex') });
    const g = await seg('weights', 'get', 'resnet50-imagenet');
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/seg weights: resnet50-imagenet is ready in /);
    expect((await seg('weights', 'verify', 'resnet50-imagenet')).stdout).toMatch(/resnet50-imagenet: .* matches its SHA-256/);
    expect((await seg('weights', 'path', 'resnet50-imagenet')).stdout).toBe(path.join(dir, 'weights', 'resnet50-imagenet.safetensors'));
    registerWeights(original);
  });

  it("classify: a .npy input gives torchvision's top-5 for the same weights, and an image through the ImageNet transform too", async () => {
    const file = path.join(dir, 'seeded-resnet50.safetensors');
    writeSeededWeights(file, 'resnet50');
    const [ref] = reference.models.resnet50!;
    const [h, w] = ref!.size;
    const npy = path.join(dir, 'input.npy');
    writeFileSync(npy, encodeNpy(seededRange(`input.${h}x${w}`, h * w * 3, -2, 2), [h, w, 3]));
    const r = await seg('weights', 'classify', file, npy, '--json');
    expect(r.code, r.stderr).toBe(0);
    const top = JSON.parse(r.stdout) as { index: number; label: string; logit: number }[];
    expect(top.map((t) => t.index)).toEqual(ref!.top5);
    expect(top.map((t) => t.label)).toEqual(ref!.top5.map((i) => imagenetClasses()[i]));
    for (const t of top) expect(Math.abs(t.logit - ref!.logits[t.index]!)).toBeLessThan(1e-4 * Math.max(...ref!.logits.map(Math.abs)));
    const img = await seg('weights', 'classify', file, path.join(FIXTURES, 'image.png'), '--json');
    expect(img.code, img.stderr).toBe(0);
    expect((JSON.parse(img.stdout) as { index: number }[]).map((t) => t.index)).toEqual(reference.image.top5);
    const text = await seg('weights', 'classify', file, npy);
    expect(text.stdout.split('\n')).toHaveLength(5);
    expect(text.stdout).toMatch(new RegExp(`^1\\. ${imagenetClasses()[ref!.top5[0]!]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(class ${ref!.top5[0]}\\): -?\\d+\\.\\d{3}$`, 'm'));
    rmSync(file);
  }, 120_000);

  it('classify refuses what it cannot read in one sentence', async () => {
    const notWeights = path.join(dir, 'x.safetensors');
    writeSafetensorsSync(notWeights, [['a.weight', [2, 2]]], () => new Float32Array(4));
    const npy = path.join(dir, 'small.npy');
    writeFileSync(npy, encodeNpy(new Float32Array(4 * 4 * 3), [4, 4, 3]));
    const flat = path.join(dir, 'flat.npy');
    writeFileSync(flat, encodeNpy(new Float32Array(8), [2, 4]));
    writeSeededWeights(path.join(dir, 'r50.safetensors'), 'resnet50');
    for (const [args, why] of [
      [[path.join(dir, 'r50.safetensors'), flat], /flat\.npy has shape \(2, 4\); classify takes an HxWx3 array/],
      [[notWeights, npy], /x\.safetensors holds neither VGG16, ResNet-50 nor ResNet-101 in torchvision's names/],
      [[path.join(dir, 'nope.safetensors'), npy], /Weights file .*nope\.safetensors does not exist/],
      [['resnet50-imagenet', npy], /The resnet50-imagenet weights are not in/],
      [['model.bin', npy], /"model\.bin" is neither weights seg knows .* nor a \.safetensors file/],
    ] as const) {
      const r = await seg('weights', 'classify', ...args);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
  });
});
