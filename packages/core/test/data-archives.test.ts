/**
 * The datasets published as archives (PASCAL VOC 2012, SBD, ADE20K,
 * Cityscapes), fetched and prepared from archives in the real layouts that
 * Python's tarfile, zipfile and scipy wrote (scripts/dataset-fixtures.py),
 * served by a local HTTP server on 127.0.0.1 (the real hosts cannot be
 * reached from the test machines). Each test source is the real catalogue
 * entry with the fixture's archive pinned in place of the real one and the
 * fixture's counts; the expected class maps and lists are stated here by hand.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encode } from 'fast-png';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { refusal } from './helpers.js';
import { ADE20K_CLASSES, ADE20K_PALETTE, CITYSCAPES_CLASSES, CITYSCAPES_PALETTE, VOC_PALETTE, vocColormap, ade20k, cityscapes, datasetPath, datasetSource, datasetStatus, downloadBytes, extractTar, extractZip, fetchDataset, formatBytes, IGNORE, listDatasets, readLabelPng, registerDataset, verifyDataset, voc, vocAug, type ArchiveFile } from '../src/index.js';
import { ADE_ZIP, CITYSCAPES_IMAGES_ZIP, CITYSCAPES_LABELS_ZIP, SBD_TGZ, VOC_TAR } from '../src/data/archive-datasets.js';
import { augmentedSplits } from '../src/data/sbd.js';

const FIXTURES = path.join(__dirname, 'fixtures', 'datasets');
const fixture = (f: string) => readFileSync(path.join(FIXTURES, f));
const digest = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

// The ids of scripts/dataset-fixtures.py: A, B VOC train; C, D VOC val; B, E, C SBD train; F, D SBD val.
const [A, B, C, D, E, F] = ['2007_000032', '2007_000039', '2007_000033', '2007_000042', '2008_000002', '2008_000003'];
const flat = (rows: number[][]) => rows.flat();
/** VOC's own labels of A and B (palette indices, 255 the void border). */
const VOC_A = [[0, 0, 255, 1, 1, 1], [0, 255, 1, 1, 1, 1], [0, 0, 255, 255, 1, 1], [0, 0, 0, 0, 0, 0]];
const VOC_B = [[15, 15, 15, 255, 0, 0], [15, 15, 15, 255, 0, 0], [255, 255, 255, 255, 0, 0], [0, 0, 0, 0, 0, 0]];
/** SBD's class maps of B and E (GTcls.Segmentation of cls/<id>.mat). */
const SBD_B = [[15, 15, 15, 15, 0, 0], [15, 15, 15, 15, 0, 0], [15, 15, 15, 15, 0, 0], [0, 0, 0, 0, 0, 0]];
const SBD_E = [[0, 0, 15, 15, 0, 0], [0, 1, 1, 15, 0, 0], [0, 1, 1, 0, 0, 20], [0, 0, 0, 0, 20, 20]];

/** Where the server answers: the publisher's path of each archive, and a mirror's. */
const HOST_PATH: Record<string, string> = {
  [VOC_TAR]: '/pascal/VOC/voc2012/',
  [SBD_TGZ]: '/Research/Projects/CS/vision/grouping/semantic_contours/',
  [ADE_ZIP]: '/places/ADEchallenge/',
};

interface Behaviour {
  /** Files answered 404. */
  missing?: Set<string>;
  /** Files served with one byte changed. */
  corrupt?: Set<string>;
  /** Files whose next N requests are cut after half of what they ask for. */
  cut?: Map<string, number>;
  /** What the server serves under a file's name instead of the fixture (a broken archive). */
  serve?: Map<string, Buffer>;
}

describe('seg data: datasets published as archives', () => {
  const requests: { path: string; range?: string }[] = [];
  let behaviour: Behaviour = {};
  let server: Server;
  let base = '';
  let dir = '';
  let data = '';
  const saved = { dir: process.env.SEG_DATA_DIR, mirror: process.env.SEG_DATA_MIRROR };
  const logs: string[] = [];
  const quiet = { log: (s: string) => void logs.push(s) };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '');
      requests.push({ path: url, range: req.headers.range });
      const file = path.basename(url);
      let body = behaviour.serve?.get(file) ?? (existsSync(path.join(FIXTURES, file)) ? fixture(file) : undefined);
      // /missing/...: a publisher's URL that moved
      if (!body || url.startsWith('/missing/') || behaviour.missing?.has(file)) {
        res.writeHead(404).end('404: Not Found');
        return;
      }
      if (behaviour.corrupt?.has(file)) {
        body = Buffer.from(body);
        body[body.length >> 1] ^= 0xff;
      }
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      if (from >= body.length && from > 0) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      const cuts = behaviour.cut?.get(file) ?? 0;
      const status = from ? 206 : 200;
      const headers = { 'Content-Length': body.length - from, ...(from ? { 'Content-Range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}) };
      if (cuts > 0) {
        behaviour.cut!.set(file, cuts - 1);
        res.writeHead(status, headers);
        // half of what was asked for, then the connection drops (after a pause, so the half reaches the client)
        res.write(body.subarray(from, from + ((body.length - from) >> 1)), () => setTimeout(() => res.destroy(), 150));
        return;
      }
      res.writeHead(status, headers);
      res.end(body.subarray(from));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    for (const [k, v] of [['SEG_DATA_DIR', saved.dir], ['SEG_DATA_MIRROR', saved.mirror]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'seg-data-archives-'));
    data = path.join(dir, 'data');
    process.env.SEG_DATA_DIR = data;
    delete process.env.SEG_DATA_MIRROR;
    behaviour = {};
    requests.length = 0;
    logs.length = 0;
    register();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The fixture archive pinned as the real entry pins its archive (the same digests, the fixture's values). */
  const pinned = (file: string, like: ArchiveFile, bytes: Buffer = fixture(file)): ArchiveFile => ({
    file: like.file,
    urls: like.urls.length ? [`${base}/missing${HOST_PATH[like.file]}${like.file}`, `${base}${HOST_PATH[like.file]}${like.file}`].slice(like.urls.length > 1 ? 0 : 1) : [],
    ...(like.size !== undefined ? { size: bytes.length } : {}),
    ...Object.fromEntries((['sha256', 'sha1', 'md5'] as const).filter((d) => like[d]).map((d) => [d, digest(d, bytes)])),
    ...(like.about ? { about: like.about } : {}),
    ...(like.byHand ? { byHand: like.byHand } : {}),
  });
  /** The test sources: the real entries (prepare steps, formats, needs) with the fixtures' archives and counts; SBD's without a size, for the path of an archive pinned by its digests alone. */
  function register(o: { voc?: Buffer; sbd?: Buffer; ade?: string; sbdCounts?: Record<string, number> } = {}) {
    const real = (n: string) => datasetSource(n)!;
    registerDataset({ ...real('voc2012'), name: 'voc-test', archives: [pinned(VOC_TAR, real('voc2012').archives![0]!, o.voc)], counts: { train: 2, val: 2, trainval: 4 } });
    registerDataset({ ...real('sbd'), name: 'sbd-test', needs: ['voc-test'], archives: [pinned(SBD_TGZ, { ...real('sbd').archives![0]!, size: undefined }, o.sbd)], counts: o.sbdCounts ?? { cls: 5, train_aug: 4, aug: 2 } });
    registerDataset({ ...real('ade20k'), name: 'ade-test', archives: [pinned(o.ade ?? ADE_ZIP, real('ade20k').archives![0]!, fixture(o.ade ?? ADE_ZIP))], counts: { train: 2, val: 1 } });
    registerDataset({ ...real('cityscapes'), name: 'cityscapes-test', archives: real('cityscapes').archives!.map((a) => pinned(a.file, a)), counts: { train: 1, val: 1, test: 1 } });
  }
  const asked = (file: string) => requests.filter((r) => r.path.endsWith(`/${file}`) && !r.path.startsWith('/missing/'));
  const files = (root: string) => (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();

  it("VOC 2012: the tar fetched (after the first URL's 404, from the next), its segmentation part unpacked into voc's layout, every file in the folder's manifest", async () => {
    expect(datasetStatus('voc-test')).toMatchObject({ status: 'missing', download: fixture(VOC_TAR).length });
    const target = await fetchDataset('voc-test', quiet);
    expect(target).toBe(path.join(data, 'voc-test'));
    expect(requests.map((r) => r.path)).toEqual([`/missing/pascal/VOC/voc2012/${VOC_TAR}`, `/pascal/VOC/voc2012/${VOC_TAR}`]);
    expect(logs.some((l) => /is not there \(HTTP 404\).* Trying 127\.0\.0\.1:\d+ instead\.$/.test(l))).toBe(true);
    const ids = [A, B, C, D, E, F, '2008_000008'];
    expect(files(target)).toEqual([
      '.seg-manifest.json',
      ...['train', 'trainval', 'val'].map((s) => `ImageSets/Segmentation/${s}.txt`),
      ...ids.map((id) => `JPEGImages/${id}.jpg`).sort(),
      ...[A, B, C, D].map((id) => `SegmentationClass/${id}.png`).sort(),
    ]);
    // nothing else is left: the tar, its .part and the staging folders are gone
    expect(readdirSync(data)).toEqual(['voc-test']);
    const s = datasetStatus('voc-test');
    expect(s).toMatchObject({ status: 'ready', files: { present: 14, total: 14 } });
    expect(s.bytes).toBe(files(target).filter((f) => !f.startsWith('.')).reduce((n, f) => n + statSync(path.join(target, f)).size, 0));
    expect(await verifyDataset('voc-test')).toMatchObject({ checked: 14, problems: [] });
    const train = await voc(target, 'train');
    expect(train.length).toBe(2);
    const a = await train.get(0);
    expect([a.id, a.width, a.height]).toEqual([A, 6, 4]);
    expect(Array.from(a.mask)).toEqual(flat(VOC_A));
    // a second get hashes what is there and fetches nothing
    requests.length = 0;
    logs.length = 0;
    await fetchDataset('voc-test', quiet);
    expect(requests).toEqual([]);
    expect(logs.at(-1)).toMatch(/voc-test is ready in .* \(nothing was missing\)$/);
  });

  it('SBD: fetches VOC 2012 first, converts each cls/*.mat to the exact class map PNG, and writes the train_aug list computed by hand', async () => {
    const target = await fetchDataset('sbd-test', quiet);
    expect(logs[0]).toBe('seg data: sbd-test needs voc-test; fetching it first');
    expect(datasetStatus('voc-test').status).toBe('ready');
    // benchmark.tgz is pinned by MD5 and SHA-1 alone, as the real one: no size
    expect(datasetSource('sbd-test')!.archives![0]!.size).toBeUndefined();
    expect(files(target)).toEqual([
      '.seg-manifest.json',
      ...['aug', 'train_aug', 'val'].map((s) => `ImageSets/Segmentation/${s}.txt`),
      ...[B, C, D, E, F].map((id) => `SegmentationClassAug/${id}.png`).sort(),
    ]);
    // (VOC train ∪ SBD train ∪ SBD val) − VOC val = {A, B, E, F}; aug drops VOC train too
    const list = (f: string) => readFileSync(path.join(target, 'ImageSets', 'Segmentation', f), 'utf8');
    expect(list('train_aug.txt')).toBe(`${A}\n${B}\n${E}\n${F}\n`);
    expect(list('aug.txt')).toBe(`${E}\n${F}\n`);
    expect(list('val.txt')).toBe(`${C}\n${D}\n`);
    const e = await readLabelPng(path.join(target, 'SegmentationClassAug', `${E}.png`));
    expect([e.width, e.height, Array.from(e.data)]).toEqual([6, 4, flat(SBD_E)]);
    const b = await readLabelPng(path.join(target, 'SegmentationClassAug', `${B}.png`));
    expect(Array.from(b.data)).toEqual(flat(SBD_B));
    expect((await verifyDataset('sbd-test')).problems).toEqual([]);
    // voc-aug: train is train_aug; an image VOC labels takes VOC's label (B), the others SBD's (E)
    const aug = await vocAug(target, 'train', { voc: path.join(data, 'voc-test') });
    expect(aug.length).toBe(4);
    expect(Array.from((await aug.get(1)).mask)).toEqual(flat(VOC_B));
    expect(Array.from((await aug.get(2)).mask)).toEqual(flat(SBD_E));
    await aug.check!();
    // beside voc-test under the data root, as seg data lays them out, it finds VOC itself when named voc2012
    cpSync(path.join(data, 'voc-test'), path.join(data, 'voc2012'), { recursive: true });
    expect((await vocAug(target, 'val')).length).toBe(2);
  });

  it("SBD: mmsegmentation's lists, and its count checked against the source's (one sentence, nothing left that looks ready)", async () => {
    // the same sets as mmseg's voc_aug.py computes them, in sorted order
    expect(augmentedSplits({ train: ['a', 'b'], val: ['c'] }, { train: ['b', 'c', 'd'], val: ['e', 'a'] })).toEqual({ trainAug: ['a', 'b', 'd', 'e'], aug: ['d', 'e'] });
    register({ sbdCounts: { cls: 5, train_aug: 10582, aug: 9118 } });
    expect(await refusal(fetchDataset('sbd-test', quiet))).toBe(
      'train_aug (VOC 2012 train with SBD train and val, less VOC 2012 val) has 4 entries, not the 10582 of the source sbd-test pins; the archives are not the pinned ones, or seg\'s reading of them is wrong.',
    );
    expect(datasetStatus('sbd-test').status).toBe('partial');
    expect(existsSync(path.join(data, 'sbd-test'))).toBe(false);
    expect(existsSync(path.join(data, '.partial', 'sbd-test'))).toBe(false);
    // the verified archive stays: with the right counts the next get prepares it without fetching it again
    register();
    requests.length = 0;
    await fetchDataset('sbd-test', quiet);
    expect(requests).toEqual([]);
    expect(datasetStatus('sbd-test').status).toBe('ready');
  });

  it('ADE20K: the zip unpacked into ade20k\'s layout; 0 ("other") is ignored and 1-150 become classes 0-149', async () => {
    const target = await fetchDataset('ade-test', quiet);
    expect(files(target)).toEqual([
      '.seg-manifest.json',
      'annotations/training/ADE_train_00000001.png',
      'annotations/training/ADE_train_00000002.png',
      'annotations/validation/ADE_val_00000001.png',
      'images/training/ADE_train_00000001.jpg',
      'images/training/ADE_train_00000002.jpg',
      'images/validation/ADE_val_00000001.jpg',
    ]);
    const train = await ade20k(target, 'train');
    expect([train.length, train.numClasses, train.classNames[0], train.classNames[149]]).toEqual([2, 150, 'wall', 'flag']);
    const s = await train.get(0);
    const X = IGNORE;
    expect(Array.from(s.mask)).toEqual(flat([[X, 0, 0, 1, 1, 149], [X, 0, 0, 1, 1, 149], [X, X, 2, 2, X, X], [4, 4, 4, 4, 4, 4]]));
    expect(Array.from((await train.get(1)).mask)).toEqual(flat([[149, 149, 149, X, X, X], [148, 148, 148, X, X, X], [0, 0, 0, 0, 0, 0], [X, X, X, X, X, X]]));
    expect((await ade20k(target, 'val')).length).toBe(1);
  });

  it('Cityscapes: without its zips, one sentence saying which two, from where, into which folder, then which command; from a folder the user names, checked, unpacked and left in place', async () => {
    const hand = path.join(data, 'downloads', 'cityscapes-test');
    expect(await refusal(fetchDataset('cityscapes-test', quiet))).toBe(
      `cityscapes-test is served only after a login: download gtFine_trainvaltest.zip (${formatBytes(fixture('gtFine_trainvaltest.zip').length)}, packageID 1) and leftImg8bit_trainvaltest.zip (${formatBytes(fixture('leftImg8bit_trainvaltest.zip').length)}, packageID 3) from https://www.cityscapes-dataset.com/downloads/ into ${hand}, then run \`seg data get cityscapes-test\` (or name another folder with --from DIR).`,
    );
    const from = path.join(dir, 'zips');
    mkdirSync(from);
    cpSync(path.join(FIXTURES, CITYSCAPES_LABELS_ZIP), path.join(from, CITYSCAPES_LABELS_ZIP));
    expect(await refusal(fetchDataset('cityscapes-test', { ...quiet, from }))).toBe(
      `cityscapes-test is served only after a login: download leftImg8bit_trainvaltest.zip (${formatBytes(fixture('leftImg8bit_trainvaltest.zip').length)}, packageID 3) from https://www.cityscapes-dataset.com/downloads/ into ${from}, then run \`seg data get cityscapes-test --from ${from}\`.`,
    );
    // a file that is not the pinned zip is named, with what differs
    writeFileSync(path.join(from, CITYSCAPES_IMAGES_ZIP), fixture(CITYSCAPES_LABELS_ZIP));
    expect(await refusal(fetchDataset('cityscapes-test', { ...quiet, from }))).toMatch(
      new RegExp(`^${path.join(from, CITYSCAPES_IMAGES_ZIP)} is not the leftImg8bit_trainvaltest\\.zip seg pins \\(\\d+ bytes; expected \\d+ bytes, SHA-256 [0-9a-f]{12}…\\); fetch it again from https://www\\.cityscapes-dataset\\.com/downloads/\\.$`),
    );
    cpSync(path.join(FIXTURES, CITYSCAPES_IMAGES_ZIP), path.join(from, CITYSCAPES_IMAGES_ZIP));
    const target = await fetchDataset('cityscapes-test', { ...quiet, from });
    expect(requests).toEqual([]);
    expect(files(target).filter((f) => f.endsWith('.png'))).toEqual([
      'gtFine/test/berlin/berlin_000000_000019_gtFine_labelIds.png',
      'gtFine/train/aachen/aachen_000000_000019_gtFine_labelIds.png',
      'gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png',
      'leftImg8bit/test/berlin/berlin_000000_000019_leftImg8bit.png',
      'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png',
      'leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png',
    ]);
    // the user's zips stay where they were
    expect(readdirSync(from).sort()).toEqual([CITYSCAPES_LABELS_ZIP, CITYSCAPES_IMAGES_ZIP]);
    const X = IGNORE;
    const train = await cityscapes(target, 'train');
    expect(Array.from((await train.get(0)).mask)).toEqual(flat([[0, 0, 0, 0, 1, 1, 1, 1], [13, 13, X, X, 11, 11, 18, 18], [X, X, X, X, X, 2, 2, 2], [8, 8, 8, 10, 10, 10, X, X]]));
    // the zips found in the default folder serve as well, once the dataset is gone
    rmSync(target, { recursive: true });
    mkdirSync(hand, { recursive: true });
    for (const f of [CITYSCAPES_LABELS_ZIP, CITYSCAPES_IMAGES_ZIP]) cpSync(path.join(from, f), path.join(hand, f));
    await fetchDataset('cityscapes-test', quiet);
    expect(datasetStatus('cityscapes-test').status).toBe('ready');
  });

  it('refuses a corrupted archive in one sentence naming it and its source, removes it, and the next get fetches it whole', async () => {
    behaviour.corrupt = new Set([VOC_TAR]);
    expect(await refusal(fetchDataset('voc-test', quiet))).toMatch(
      new RegExp(`^None of the 2 sources of ${VOC_TAR.replace(/\./g, '\\.')} served it: ${base}/missing/pascal/VOC/voc2012/\\S+ is not there \\(HTTP 404\\); the source moved or the mirror lacks the file; ${VOC_TAR.replace(/\./g, '\\.')} from ${base}/pascal/VOC/voc2012/\\S+ does not match its pinned checksum \\(40960 bytes, SHA-256 [0-9a-f]{12}…; expected 40960 bytes, SHA-256 [0-9a-f]{12}…\\): the source or mirror holds a different file\\.$`),
    );
    expect(datasetStatus('voc-test').status).not.toBe('ready');
    expect(() => datasetPath('voc-test')).toThrow(/^Dataset voc-test is/);
    expect(existsSync(path.join(data, '.partial', 'voc-test.archives', `${VOC_TAR}.part`))).toBe(false);
    behaviour = {};
    await fetchDataset('voc-test', quiet);
    expect((await verifyDataset('voc-test')).problems).toEqual([]);
  });

  it('refuses an archive cut inside a member, and a zip member whose CRC-32 does not match, in one sentence each; nothing looks ready', async () => {
    // pinned as they are (the digests match), so only the reading finds what is wrong
    const cut = fixture('VOCtrainval-cut.tar');
    behaviour.serve = new Map([[VOC_TAR, cut]]);
    register({ voc: cut, ade: 'ADEChallengeData2016-badcrc.zip' });
    const archives = (n: string) => path.join(data, '.partial', `${n}.archives`);
    expect(await refusal(fetchDataset('voc-test', quiet))).toMatch(
      new RegExp(`^${path.join(archives('voc-test'), VOC_TAR).replace(/\./g, '\\.')}: cut short inside VOCdevkit/VOC2012/JPEGImages/${A}\\.jpg \\(\\d+ of its 350 bytes missing\\)\\.$`),
    );
    expect(datasetStatus('voc-test').status).toBe('partial');
    expect(existsSync(path.join(data, 'voc-test'))).toBe(false);
    expect(existsSync(path.join(data, '.partial', 'voc-test'))).toBe(false);
    behaviour.serve = new Map([[ADE_ZIP, fixture('ADEChallengeData2016-badcrc.zip')]]);
    expect(await refusal(fetchDataset('ade-test', quiet))).toBe(
      `${path.join(archives('ade-test'), ADE_ZIP)}: member ADEChallengeData2016/annotations/validation/ADE_val_00000001.png is corrupt (its CRC-32 does not match).`,
    );
    expect(datasetStatus('ade-test').status).toBe('partial');
    expect(() => datasetPath('ade-test')).toThrow(/^Dataset ade-test is not yet prepared in /);
  });

  it('an interrupted download is resumed by the next get, from where the .part ends (an HTTP Range request)', async () => {
    // every one of the first get's five attempts is cut midway
    behaviour.cut = new Map([[VOC_TAR, 5]]);
    expect(await refusal(fetchDataset('voc-test', quiet))).toMatch(/failed after 5 attempts: .*; run the same command again to resume\.$/);
    const part = path.join(data, '.partial', 'voc-test.archives', `${VOC_TAR}.part`);
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(fixture(VOC_TAR).length);
    expect(datasetStatus('voc-test').status).toBe('partial');
    requests.length = 0;
    await fetchDataset('voc-test', quiet);
    expect(asked(VOC_TAR)).toEqual([{ path: `/pascal/VOC/voc2012/${VOC_TAR}`, range: `bytes=${have}-` }]);
    expect((await verifyDataset('voc-test')).problems).toEqual([]);
  });

  it('resumes an archive pinned by its digests alone (a source that states no size): a Range from the .part, and a 416 for a .part already whole', async () => {
    await fetchDataset('voc-test', quiet);
    const tgz = fixture(SBD_TGZ);
    const part = path.join(data, '.partial', 'sbd-test.archives', `${SBD_TGZ}.part`);
    mkdirSync(path.dirname(part), { recursive: true });
    writeFileSync(part, tgz.subarray(0, 500));
    requests.length = 0;
    await fetchDataset('sbd-test', quiet);
    expect(asked(SBD_TGZ).map((r) => r.range)).toEqual(['bytes=500-']);
    rmSync(path.join(data, 'sbd-test'), { recursive: true });
    mkdirSync(path.dirname(part), { recursive: true });
    writeFileSync(part, tgz);
    requests.length = 0;
    await fetchDataset('sbd-test', quiet);
    expect(asked(SBD_TGZ).map((r) => r.range)).toEqual([`bytes=${tgz.length}-`]);
    expect((await verifyDataset('sbd-test')).problems).toEqual([]);
  });

  it('verify finds a file changed after the get; get then prepares the dataset again from its archive', async () => {
    const target = await fetchDataset('ade-test', quiet);
    const png = path.join(target, 'annotations', 'training', 'ADE_train_00000002.png');
    const bytes = readFileSync(png);
    bytes[bytes.length - 20] ^= 1;
    writeFileSync(png, bytes);
    expect(await verifyDataset('ade-test')).toMatchObject({ checked: 6, problems: ['annotations/training/ADE_train_00000002.png does not match its SHA-256'] });
    requests.length = 0;
    logs.length = 0;
    await fetchDataset('ade-test', quiet);
    expect(logs[0]).toMatch(/^seg data: 1 of 6 files of ade-test in .* do not check out \(annotations\/training\/ADE_train_00000002\.png does not match its SHA-256\); preparing it again from its archives$/);
    expect(asked(ADE_ZIP)).toHaveLength(1);
    expect((await verifyDataset('ade-test')).problems).toEqual([]);
    // a file gone: partial by its size alone, and prepared again without hashing the rest
    rmSync(png);
    expect(datasetStatus('ade-test')).toMatchObject({ status: 'partial', files: { present: 5, total: 6 } });
    logs.length = 0;
    await fetchDataset('ade-test', quiet);
    expect(logs[0]).toMatch(/^seg data: 1 of 6 files of ade-test in .* are missing or not at their size; preparing it again from its archives$/);
    expect(datasetStatus('ade-test').status).toBe('ready');
    // a folder without the manifest (not prepared by seg) is named as such
    rmSync(path.join(target, '.seg-manifest.json'));
    expect(datasetStatus('ade-test').status).toBe('partial');
    expect((await verifyDataset('ade-test')).problems).toEqual([`${target} holds no .seg-manifest.json, so it is not a folder seg prepared for ade-test`]);
  });

  it('reads SEG_DATA_MIRROR as a folder of <name>/<archive> (Cityscapes\' zips too), and as a base URL', async () => {
    const mirror = path.join(dir, 'mirror');
    mkdirSync(path.join(mirror, 'ade-test'), { recursive: true });
    cpSync(path.join(FIXTURES, ADE_ZIP), path.join(mirror, 'ade-test', ADE_ZIP));
    process.env.SEG_DATA_MIRROR = mirror;
    await fetchDataset('ade-test', quiet);
    expect(requests).toEqual([]);
    // an institution's copy of archives served behind a login counts too
    mkdirSync(path.join(mirror, 'cityscapes-test'));
    for (const f of [CITYSCAPES_LABELS_ZIP, CITYSCAPES_IMAGES_ZIP]) cpSync(path.join(FIXTURES, f), path.join(mirror, 'cityscapes-test', f));
    await fetchDataset('cityscapes-test', quiet);
    expect(datasetStatus('cityscapes-test').status).toBe('ready');
    rmSync(data, { recursive: true });
    process.env.SEG_DATA_MIRROR = `${base}/mirror/`;
    await fetchDataset('ade-test', quiet);
    expect(requests.map((r) => r.path)).toEqual([`/mirror/ade-test/${ADE_ZIP}`]);
    expect((await verifyDataset('ade-test')).problems).toEqual([]);
  });

  it('never replaces a folder seg did not prepare: one sentence naming it, before any download; files of yours in a prepared folder are kept', async () => {
    const target = path.join(data, 'ade-test');
    mkdirSync(path.join(target, 'images'), { recursive: true });
    writeFileSync(path.join(target, 'images', 'mine.jpg'), 'my own copy');
    const foreign = `${target} holds no .seg-manifest.json, so it is not a folder seg prepared for ade-test and seg data get leaves it alone: move it away and run \`seg data get ade-test\` again, or read it as it is with --data ${target} --format ade20k.`;
    expect(await refusal(fetchDataset('ade-test', quiet))).toBe(foreign);
    expect(requests).toEqual([]);
    expect(readFileSync(path.join(target, 'images', 'mine.jpg'), 'utf8')).toBe('my own copy');
    expect(datasetStatus('ade-test')).toMatchObject({ status: 'partial', notReady: foreign });
    expect(() => datasetPath('ade-test')).toThrow(foreign);
    // another dataset's prepared folder under this name is not this one's either
    writeFileSync(path.join(target, '.seg-manifest.json'), JSON.stringify({ dataset: 'voc-test', archives: [], files: [] }));
    expect(await refusal(fetchDataset('ade-test', quiet))).toMatch(new RegExp(`^${target} holds the \\.seg-manifest\\.json of voc-test, so it is not a folder seg prepared for ade-test`));
    rmSync(target, { recursive: true });

    // seg's own folder, prepared again: files it did not write stay, under their paths
    await fetchDataset('ade-test', quiet);
    writeFileSync(path.join(target, 'notes.txt'), 'my notes');
    mkdirSync(path.join(target, 'predictions'));
    writeFileSync(path.join(target, 'predictions', 'ADE_val_00000001.png'), 'a prediction');
    rmSync(path.join(target, 'images', 'training', 'ADE_train_00000002.jpg'));
    logs.length = 0;
    await fetchDataset('ade-test', quiet);
    expect(logs).toContain(`seg data: 2 files in ${target} that are not part of ade-test stay there (notes.txt, predictions/ADE_val_00000001.png)`);
    expect(readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('my notes');
    expect(readFileSync(path.join(target, 'predictions', 'ADE_val_00000001.png'), 'utf8')).toBe('a prediction');
    expect(datasetStatus('ade-test').status).toBe('ready');
    expect((await verifyDataset('ade-test')).problems).toEqual([]);

    // a file of yours where the new folder has one of its own: the old folder keeps it, under the name the log states
    const manifest = JSON.parse(readFileSync(path.join(target, '.seg-manifest.json'), 'utf8')) as { files: { path: string }[] };
    manifest.files = manifest.files.filter((f) => f.path !== 'images/validation/ADE_val_00000001.jpg');
    writeFileSync(path.join(target, '.seg-manifest.json'), JSON.stringify(manifest));
    writeFileSync(path.join(target, 'images', 'validation', 'ADE_val_00000001.jpg'), 'mine, not the dataset');
    rmSync(path.join(target, 'images', 'training', 'ADE_train_00000002.jpg'));
    logs.length = 0;
    await fetchDataset('ade-test', quiet);
    expect(logs).toContain(`seg data: 1 file of yours in ${target} had the path of a file of the new ade-test (images/validation/ADE_val_00000001.jpg); the old folder, with those files, is kept as ${target}.old`);
    expect(readFileSync(path.join(`${target}.old`, 'images', 'validation', 'ADE_val_00000001.jpg'), 'utf8')).toBe('mine, not the dataset');
    expect(readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('my notes');
    expect((await verifyDataset('ade-test')).problems).toEqual([]);
  });

  it('--from a folder without the archive is one sentence naming it and the file, before any download; a dataset needed first comes from its sources unless the folder holds its archive too', async () => {
    const from = path.join(dir, 'archives');
    expect(await refusal(fetchDataset('ade-test', { ...quiet, from }))).toBe(`--from ${from} is not a folder (it should hold ${ADE_ZIP}); put it there, or leave out --from to download it.`);
    mkdirSync(from);
    expect(await refusal(fetchDataset('ade-test', { ...quiet, from }))).toBe(`--from ${from} holds no ${ADE_ZIP}; put it there, or leave out --from to download it.`);
    expect(requests).toEqual([]);
    // SBD's tgz in the folder, VOC's tar not: VOC 2012 is fetched from its sources, SBD read from the folder
    cpSync(path.join(FIXTURES, SBD_TGZ), path.join(from, SBD_TGZ));
    await fetchDataset('sbd-test', { ...quiet, from });
    expect(logs[0]).toBe(`seg data: sbd-test needs voc-test; fetching it first (${from} does not hold its archives)`);
    expect(asked(VOC_TAR)).toHaveLength(1);
    expect(asked(SBD_TGZ)).toEqual([]);
    expect(datasetStatus('sbd-test').status).toBe('ready');
  });

  it('SBD without the VOC 2012 it reads is not ready: one sentence with the command that gets VOC; get fetches only VOC', async () => {
    await fetchDataset('sbd-test', quiet);
    rmSync(path.join(data, 'voc-test'), { recursive: true });
    const sentence = `Dataset sbd-test is prepared in ${path.join(data, 'sbd-test')} but needs voc-test, which is not in ${data}; run \`seg data get voc-test\` (${formatBytes(fixture(VOC_TAR).length)} to download).`;
    expect(datasetStatus('sbd-test')).toMatchObject({ status: 'partial', notReady: sentence });
    expect(() => datasetPath('sbd-test')).toThrow(sentence);
    requests.length = 0;
    await fetchDataset('sbd-test', quiet);
    expect(requests.filter((r) => !r.path.startsWith('/missing/')).map((r) => path.basename(r.path))).toEqual([VOC_TAR]);
    expect(datasetStatus('sbd-test').status).toBe('ready');
  });

  it('a folder prepared from archives seg no longer pins is not ready (one sentence), and get prepares it again', async () => {
    const target = await fetchDataset('ade-test', quiet);
    const file = path.join(target, '.seg-manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { archives: { sha1?: string }[] };
    manifest.archives[0]!.sha1 = '0'.repeat(40);
    writeFileSync(file, JSON.stringify(manifest));
    const stale = `ade-test in ${target} was prepared from archives seg no longer pins (${ADE_ZIP})`;
    expect(datasetStatus('ade-test')).toMatchObject({ status: 'partial', notReady: `Dataset ${stale}; run \`seg data get ade-test\` to prepare it again (${formatBytes(fixture(ADE_ZIP).length)} to download).` });
    expect(() => datasetPath('ade-test')).toThrow(/^Dataset ade-test in .* was prepared from archives seg no longer pins/);
    expect((await verifyDataset('ade-test')).problems).toEqual([stale]);
    logs.length = 0;
    await fetchDataset('ade-test', quiet);
    expect(logs[0]).toBe(`seg data: ${stale}; preparing it again`);
    expect(datasetStatus('ade-test').status).toBe('ready');
  });

  it("names the benchmark.tgz member of a .mat SBD's conversion cannot read, not its unpacked copy", async () => {
    // the fixture with the header of its first cls/*.mat zeroed (the tar's own headers intact)
    const tar = gunzipSync(fixture(SBD_TGZ));
    const at = tar.indexOf('MATLAB 5.0 MAT-file');
    const member = tar.toString('latin1', at - 512, at - 412).replace(/\0.*$/s, '');
    expect(member).toMatch(/^benchmark_RELEASE\/dataset\/cls\/\d{4}_\d{6}\.mat$/);
    tar.fill(0, at, at + 128);
    const broken = gzipSync(tar);
    behaviour.serve = new Map([[SBD_TGZ, broken]]);
    register({ sbd: broken });
    expect(await refusal(fetchDataset('sbd-test', quiet))).toBe(`${SBD_TGZ}'s member ${member}: not a MATLAB 5 MAT-file (no byte-order mark in its header; a v4 file, or another format).`);
  });

  // Linux's /dev/full (every machine seg's tests run on) answers every write with ENOSPC.
  it('a full disk is one sentence naming the file, while downloading and while unpacking (tar and zip), not a bad archive', async () => {
    expect(existsSync('/dev/full')).toBe(true);
    // /dev/full answers every write with ENOSPC
    const part = path.join(data, '.partial', 'ade-test.archives', `${ADE_ZIP}.part`);
    mkdirSync(path.dirname(part), { recursive: true });
    symlinkSync('/dev/full', part);
    await expect(fetchDataset('ade-test', quiet)).rejects.toThrow(`No space left on the device while writing ${part};`);
    expect(asked(ADE_ZIP)).toHaveLength(1); // not tried again, nor elsewhere
    for (const [archive, extract, member] of [
      [VOC_TAR, extractTar, 'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt'],
      [ADE_ZIP, extractZip, 'ADEChallengeData2016/images/validation/ADE_val_00000001.jpg'],
    ] as const) {
      const out = path.join(dir, `full-${archive}`);
      const file = path.join(out, member);
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync('/dev/full', file);
      await expect(extract(path.join(FIXTURES, archive), out, { filter: (n) => n === member })).rejects.toThrow(`No space left on the device while writing ${file};`);
    }
  });

  it('reports unpacking progress as bytes of the archive read, up to its size', async () => {
    for (const [archive, extract] of [[SBD_TGZ, extractTar], [VOC_TAR, extractTar], [ADE_ZIP, extractZip]] as const) {
      const file = path.join(FIXTURES, archive);
      const seen: number[] = [];
      const entries = await extract(file, path.join(dir, `progress-${archive}`), { onRead: (n) => seen.push(n) });
      const size = statSync(file).size;
      expect(seen.length, archive).toBeGreaterThan(1);
      expect(seen.every((n, i) => n >= (seen[i - 1] ?? 0) && n <= size), archive).toBe(true);
      // of the gzipped tar, its compressed bytes: less than the members it holds
      if (archive === SBD_TGZ) expect(entries.reduce((s, e) => s + e.size, 0)).toBeGreaterThan(size);
      expect(seen.at(-1)!, archive).toBeGreaterThan(size / 2);
    }
  });

  it('ADE20K: 255 in an annotation is ignore, as in every format', async () => {
    const target = await fetchDataset('ade-test', quiet);
    const data = new Uint8Array(24).fill(1);
    data.set([255, 255, 0, 150], 0);
    writeFileSync(path.join(target, 'annotations', 'training', 'ADE_train_00000001.png'), encode({ width: 6, height: 4, data, channels: 1, depth: 8 }));
    const train = await ade20k(target, 'train');
    expect(Array.from((await train.get(0)).mask.subarray(0, 5))).toEqual([IGNORE, IGNORE, IGNORE, 149, 0]);
    await train.check!();
  });
});

describe('the archive datasets of the catalogue', () => {
  it('pins every archive by digests (and sizes where a source states them), with the counts the prepare steps check', () => {
    const byName = Object.fromEntries(['voc2012', 'sbd', 'ade20k', 'cityscapes'].map((n) => [n, datasetSource(n)!]));
    const voc = byName.voc2012!.archives![0]!;
    expect(voc).toMatchObject({ file: 'VOCtrainval_11-May-2012.tar', size: 1_999_639_040, md5: '6cd6e144f989b92b3379bac3b3de84fd' });
    expect(voc.urls[0]).toBe('http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar');
    expect(voc.urls.length).toBeGreaterThan(1); // the host is often down: mirrors follow it
    expect(byName.sbd!.archives![0]).toMatchObject({ file: 'benchmark.tgz', md5: '82b4d87ceb2ed10f6038a1cba92111cb' });
    expect(byName.sbd!.counts).toMatchObject({ train_aug: 10582, cls: 11355 });
    expect(byName.sbd!.needs).toEqual(['voc2012']);
    expect(byName.ade20k!.archives![0]).toMatchObject({ file: 'ADEChallengeData2016.zip', sha1: '219e1696abb36c8ba3a3afe7fb2f4b4606a897c7' });
    expect(byName.ade20k!.counts).toEqual({ train: 20210, val: 2000 });
    expect(byName.cityscapes!.archives!.map((a) => [a.file, a.urls.length, a.byHand?.note])).toEqual([
      ['gtFine_trainvaltest.zip', 0, 'packageID 1'],
      ['leftImg8bit_trainvaltest.zip', 0, 'packageID 3'],
    ]);
    for (const d of Object.values(byName)) {
      for (const a of d.archives!) {
        expect(a.sha256 ?? a.sha1 ?? a.md5, a.file).toBeDefined();
        if (a.sha256) expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
        if (a.sha1) expect(a.sha1).toMatch(/^[0-9a-f]{40}$/);
        if (a.md5) expect(a.md5).toMatch(/^[0-9a-f]{32}$/);
      }
    }
    expect(downloadBytes('ade20k')).toBe(967_382_037);
    expect(downloadBytes('cityscapes')).toBe(0);
  });

  it("exports each dataset's class names with its palette: VOC's bit-interleaved colormap, ADE20K's and Cityscapes' as their tools state them", () => {
    // VOClabelcolormap.m: background black, aeroplane (128, 0, 0), person (15) (192, 128, 128), the void border 255 (224, 224, 192)
    expect([VOC_PALETTE.length, VOC_PALETTE[0], VOC_PALETTE[1], VOC_PALETTE[15], vocColormap()[255]]).toEqual([21, [0, 0, 0], [128, 0, 0], [192, 128, 128], [224, 224, 192]]);
    expect([ADE20K_CLASSES.length, ADE20K_PALETTE.length, ADE20K_CLASSES[7], ADE20K_PALETTE[0], ADE20K_PALETTE[149]]).toEqual([150, 150, 'bed', [120, 120, 120], [92, 0, 255]]);
    expect([CITYSCAPES_CLASSES.length, CITYSCAPES_PALETTE.length, CITYSCAPES_PALETTE[0], CITYSCAPES_PALETTE[18]]).toEqual([19, 19, [128, 64, 128], [119, 11, 32]]);
  });

  it('lists them with their download, what they need and what is fetched by hand', () => {
    const saved = process.env.SEG_DATA_DIR;
    process.env.SEG_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'seg-data-list-'));
    try {
      const all = Object.fromEntries(listDatasets().map((s) => [s.name, s]));
      expect(all.voc2012).toMatchObject({ status: 'missing', download: 1_999_639_040 });
      expect(all.sbd).toMatchObject({ status: 'missing', needs: ['voc2012'], download: 1_419_539_633 });
      expect(all.sbd!.downloadUnknown).toBeUndefined();
      expect(all.cityscapes).toMatchObject({ status: 'missing', byHand: ['gtFine_trainvaltest.zip', 'leftImg8bit_trainvaltest.zip'] });
      expect(() => datasetPath('sbd')).toThrow(/^Dataset sbd is not in .*; run `seg data get sbd` \(1\.4 GB to download, after voc2012\)/);
      expect(() => datasetPath('cityscapes')).toThrow(/; run `seg data get cityscapes` \(its archives gtFine_trainvaltest\.zip and leftImg8bit_trainvaltest\.zip are downloaded by hand\)/);
    } finally {
      rmSync(process.env.SEG_DATA_DIR, { recursive: true, force: true });
      process.env.SEG_DATA_DIR = saved;
    }
  });
});
