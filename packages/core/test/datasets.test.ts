/** Dataset readers: the CamVid sample and the ISBI slices that ship with seg, and VOC/Cityscapes/folder layouts written here. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encode } from 'fast-png';
import { camvid, cityscapes, imageFolder, isbi2012, voc } from '../src/data/datasets.js';
import { CORE_DATA_DIR } from '../src/data/catalog.js';

const DATA = CORE_DATA_DIR;

async function writeRgb(file: string, w: number, h: number, fill: (x: number, y: number) => [number, number, number], format: 'png' | 'jpeg') {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(fill(x, y), (y * w + x) * 3);
  const img = sharp(data, { raw: { width: w, height: h, channels: 3 } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
}

function writeIndexPng(file: string, w: number, h: number, values: number[], palette?: [number, number, number][]) {
  const png = encode({ width: w, height: h, data: Uint8Array.from(values), channels: 1, depth: 8, ...(palette ? { palette } : {}) });
  writeFileSync(file, png);
}

describe('datasets', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'seg-data-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads CamVid in SegNet\'s layout (the test sample): 480x360 RGB, 11 classes, void -> 255', async () => {
    const ds = await camvid(path.join(DATA, 'camvid-sample'), 'train');
    expect(ds.length).toBe(4);
    expect(ds.numClasses).toBe(11);
    const s = await ds.get(0);
    expect([s.width, s.height, s.channels]).toEqual([480, 360, 3]);
    expect(s.image.length).toBe(480 * 360 * 3);
    const values = new Set(s.mask);
    for (const v of values) expect(v < 11 || v === 255).toBe(true);
    expect(values.size).toBeGreaterThan(3);
    expect((await camvid(path.join(DATA, 'camvid-sample'), 'val')).length).toBe(3);
  });

  it('reads ISBI 2012: grey 512x512, membrane 0 -> class 0, cell 255 -> class 1', async () => {
    const ds = await isbi2012(path.join(DATA, 'isbi2012'), 'train', [25, 26]);
    expect(ds.length).toBe(2);
    const s = await ds.get(0);
    expect(s.id).toBe('25');
    expect([s.width, s.height, s.channels]).toEqual([512, 512, 1]);
    expect(new Set(s.mask)).toEqual(new Set([0, 1]));
    // cells cover most of the slice; membranes are thin
    const cellShare = s.mask.reduce((a, b) => a + b, 0) / s.mask.length;
    expect(cellShare).toBeGreaterThan(0.5);
    expect(cellShare).toBeLessThan(0.95);
  });

  it('reads a VOC layout: palette indices (not colours) as labels, 255 kept as ignore', async () => {
    const root = path.join(dir, 'voc');
    for (const d of ['JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation']) mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'ImageSets/Segmentation/train.txt'), 'a\nb\n');
    const palette: [number, number, number][] = Array.from({ length: 256 }, (_, i) => [(i * 37) % 256, (i * 91) % 256, (i * 11) % 256]);
    for (const id of ['a', 'b']) {
      await writeRgb(path.join(root, 'JPEGImages', `${id}.jpg`), 4, 3, (x, y) => [x * 60, y * 80, 100], 'jpeg');
      writeIndexPng(path.join(root, 'SegmentationClass', `${id}.png`), 4, 3, [0, 1, 15, 255, 20, 20, 0, 0, 255, 3, 3, id === 'a' ? 21 : 0], palette);
    }
    const ds = await voc(root, 'train');
    expect(ds.length).toBe(2);
    const s = await ds.get(1);
    expect([s.width, s.height, s.channels]).toEqual([4, 3, 3]);
    expect(Array.from(s.mask)).toEqual([0, 1, 15, 255, 20, 20, 0, 0, 255, 3, 3, 0]);
    // 21 is not a VOC class nor the ignore value: an error naming the file, not a silently ignored pixel
    const a = path.join(root, 'SegmentationClass', 'a.png');
    await expect(ds.get(0)).rejects.toThrow(`The label map ${a} holds value 21, outside 0-20 and 255 (ignore).`);
    await expect(ds.check!()).rejects.toThrow(`1 of 2 samples of voc-train cannot be used: label map ${a} holds value 21, outside 0-20 and 255 (ignore).`);
  });

  it('reads a Cityscapes layout and maps labelIds to the 19 trainIds', async () => {
    const root = path.join(dir, 'cityscapes');
    mkdirSync(path.join(root, 'leftImg8bit/val/ulm'), { recursive: true });
    mkdirSync(path.join(root, 'gtFine/val/ulm'), { recursive: true });
    await writeRgb(path.join(root, 'leftImg8bit/val/ulm/ulm_000000_000019_leftImg8bit.png'), 3, 2, () => [10, 20, 30], 'png');
    // road 7 -> 0, sky 23 -> 10, bicycle 33 -> 18, unlabeled 0 -> 255, license plate -1 stored as 255? -> 255, caravan 29 -> 255
    writeIndexPng(path.join(root, 'gtFine/val/ulm/ulm_000000_000019_gtFine_labelIds.png'), 3, 2, [7, 23, 33, 0, 29, 26]);
    const ds = await cityscapes(root, 'val');
    const s = await ds.get(0);
    expect(s.id).toBe('ulm_000000_000019');
    expect(Array.from(s.mask)).toEqual([0, 10, 18, 255, 255, 13]);
  });

  it('reads an image-folder/mask-folder pair and names a missing mask or a size mismatch', async () => {
    const imgs = path.join(dir, 'f/images');
    const masks = path.join(dir, 'f/masks');
    mkdirSync(imgs, { recursive: true });
    mkdirSync(masks, { recursive: true });
    await writeRgb(path.join(imgs, 'x.png'), 2, 2, () => [0, 0, 0], 'png');
    writeIndexPng(path.join(masks, 'x.png'), 2, 2, [0, 1, 2, 255]);
    const ds = await imageFolder(imgs, masks, 3);
    expect(Array.from((await ds.get(0)).mask)).toEqual([0, 1, 2, 255]);
    await ds.check!();
    writeIndexPng(path.join(masks, 'x.png'), 2, 2, [0, 1, 2, 7]);
    await expect(ds.get(0)).rejects.toThrow(`The label map ${path.join(masks, 'x.png')} holds value 7, outside 0-2 (--classes 3) and 255 (ignore).`);
    writeIndexPng(path.join(masks, 'x.png'), 3, 1, [0, 1, 2]);
    await expect(ds.get(0)).rejects.toThrow(`Label map ${path.join(masks, 'x.png')} is 3x1 but its image ${path.join(imgs, 'x.png')} is 2x2.`);
    await writeRgb(path.join(imgs, 'y.png'), 2, 2, () => [0, 0, 0], 'png');
    await expect(imageFolder(imgs, masks, 3)).rejects.toThrow(`Image ${path.join(imgs, 'y.png')} has no mask ${path.join(masks, 'y.png')}.`);
    await expect(camvid(path.join(dir, 'nope'))).rejects.toThrow(/CamVid folder .*nope does not exist\./);
  });
});
