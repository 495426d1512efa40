/**
 * `seg data`: list, path, verify and get, run in this process against an
 * empty SEG_DATA_DIR and a local HTTP server (the real hosts cannot be
 * reached from the test machines; nothing is downloaded from them).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, datasetSource, downloadBytes, manifestOf, registerDataset, sha256File } from '@seg/core';
import { seg } from './seg.js';

const SAMPLE = path.join(CORE_DATA_DIR, 'camvid-sample');

describe('seg data', () => {
  let dir = '';
  let server: Server;
  const saved = process.env.SEG_DATA_DIR;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'seg-data-verb-'));
    process.env.SEG_DATA_DIR = path.join(dir, 'data');
    // The sample's files at their paths, as a source for a dataset of its own.
    server = createServer((req, res) => {
      const rel = decodeURIComponent(req.url ?? '').replace(/^\/src\//, '');
      try {
        res.end(readFileSync(path.join(SAMPLE, rel)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const files = await Promise.all(
      (readdirSync(SAMPLE, { recursive: true }) as string[])
        .filter((f) => /\.(png|txt)$/.test(f))
        .map(async (f) => ({ path: f, source: f, size: readFileSync(path.join(SAMPLE, f)).length, sha256: await sha256File(path.join(SAMPLE, f)) })),
    );
    registerDataset({ name: 'sample', title: 'the CamVid sample', format: 'camvid', base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/src/`, licence: 'test' }, files);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.SEG_DATA_DIR;
    else process.env.SEG_DATA_DIR = saved;
  });

  it('list --json: one record per dataset with its status, folder, size on disk and download size', async () => {
    const r = await seg('data', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; status: string; path: string; bytes: number; download: number }[];
    const byName = Object.fromEntries(list.map((d) => [d.name, d]));
    expect(byName.isbi2012).toMatchObject({ status: 'ready', path: path.join(CORE_DATA_DIR, 'isbi2012'), download: downloadBytes('isbi2012') });
    expect(byName.isbi2012!.bytes).toBe(manifestOf('isbi2012').filter((f) => f.path.startsWith('train/')).reduce((s, f) => s + f.size, 0));
    expect(byName.camvid).toMatchObject({ status: 'missing', path: path.join(dir, 'data', 'camvid'), bytes: 0, download: 186_849_579 });
    const table = await seg('data', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^name\s+status\s+on disk\s+download\s+path$/);
    expect(table.stdout).toMatch(/camvid\s+missing\s+0 B\s+187 MB/);
  });

  it('list shows the archive datasets: download sizes, what sbd needs first, and that cityscapes comes by hand', async () => {
    const list = JSON.parse((await seg('data', 'list', '--json')).stdout) as Record<string, unknown>[];
    const byName = Object.fromEntries(list.map((d) => [d.name, d]));
    expect(byName.voc2012).toMatchObject({ status: 'missing', bytes: 0, download: 1_999_639_040, path: path.join(dir, 'data', 'voc2012') });
    expect(byName.sbd).toMatchObject({ status: 'missing', needs: ['voc2012'], download: 1_419_539_633 });
    expect(byName.ade20k).toMatchObject({ status: 'missing', download: 967_382_037 });
    expect(byName.cityscapes).toMatchObject({ status: 'missing', download: 0, byHand: ['gtFine_trainvaltest.zip', 'leftImg8bit_trainvaltest.zip'] });
    const table = (await seg('data', 'list')).stdout;
    expect(table).toMatch(/voc2012\s+missing\s+0 B\s+2\.0 GB\s+\S+voc2012$/m);
    expect(table).toMatch(/sbd\s+missing\s+0 B\s+1\.4 GB\s+\S+sbd \(needs voc2012\)$/m);
    expect(table).toMatch(/ade20k\s+missing\s+0 B\s+967 MB\s+/);
    expect(table).toMatch(/cityscapes\s+missing\s+0 B\s+by hand\s+\S+cityscapes \(zips by hand: seg data get says which\)$/m);
  });

  it('get cityscapes without its zips: one sentence with the two files, the page, the folder and the command; --from goes with get', async () => {
    const r = await seg('data', 'get', 'cityscapes');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `seg: cityscapes is served only after a login: download gtFine_trainvaltest.zip (253 MB, packageID 1) and leftImg8bit_trainvaltest.zip (12 GB, packageID 3) from https://www.cityscapes-dataset.com/downloads/ into ${path.join(dir, 'data', 'downloads', 'cityscapes')}, then run \`seg data get cityscapes\` (or name another folder with --from DIR).`,
    );
    const from = path.join(dir, 'zips');
    expect((await seg('data', 'get', 'cityscapes', '--from', from)).stderr).toMatch(new RegExp(`into ${from}, then run \`seg data get cityscapes --from ${from}\`\\.$`));
    expect(await seg('data', 'list', '--from', from)).toMatchObject({ code: 2, stderr: 'seg: --from goes with seg data get.' });
    expect(await seg('data', 'get', 'camvid', '--from', from)).toMatchObject({ code: 2, stderr: 'seg: --from names a folder of archives, and camvid is fetched file by file, not as archives.' });
  });

  it('train takes the new dataset names and formats: sbd is one sentence before any work; voc-aug and ade20k read their layouts', async () => {
    const r = await seg('train', '--model', 'unet-same-bn', '--data', 'sbd');
    expect(r.stderr).toBe(`seg: Dataset sbd is not in ${path.join(dir, 'data')}; run \`seg data get sbd\` (1.4 GB to download, after voc2012), or point SEG_DATA_DIR at a data folder where seg prepared sbd/ (\`seg data verify sbd\` checks it).`);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect((await seg('train', '--model', 'unet-same-bn', '--data', empty, '--format', 'ade20k')).stderr).toBe(`seg: ADE20K train images folder ${path.join(empty, 'images', 'training')} does not exist.`);
    expect((await seg('train', '--model', 'unet-same-bn', '--data', empty, '--format', 'voc-aug')).stderr).toBe(`seg: VOC augmented labels (SegmentationClassAug) folder ${path.join(empty, 'SegmentationClassAug')} does not exist.`);
    expect((await seg('train', '--model', 'unet-same-bn', '--data', empty, '--format', 'vocaug')).stderr).toBe('seg: --format must be one of voc, voc-aug, camvid, isbi, cityscapes, ade20k, folder (got "vocaug").');
  });

  it('path names the folder of a ready dataset; a missing one is one sentence with the command and its size', async () => {
    expect(await seg('data', 'path', 'isbi2012')).toMatchObject({ code: 0, stdout: path.join(CORE_DATA_DIR, 'isbi2012') });
    const r = await seg('data', 'path', 'camvid');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`seg: Dataset camvid is missing in ${path.join(dir, 'data', 'camvid')}; seg data get camvid fetches it (187 MB to download).`);
  });

  it('train takes a dataset name for --data; a missing dataset is one sentence with its command, before the engine', async () => {
    const r = await seg('train', '--model', 'unet-same-bn', '--data', 'camvid');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`seg: Dataset camvid is not in ${path.join(dir, 'data')}; run \`seg data get camvid\` (187 MB to download), or point SEG_DATA_DIR at a folder that holds camvid/ (\`seg data verify camvid\` checks it).`);
  });

  it('refuses unknown datasets and actions in one sentence', async () => {
    expect(await seg('data', 'get', 'camvd')).toMatchObject({ code: 2, stderr: 'seg: Unknown dataset "camvd" (did you mean "camvid"?); seg data list shows the datasets (isbi2012, camvid, voc2012, sbd, ade20k, cityscapes, sample).' });
    expect(await seg('data', 'fetch', 'camvid')).toMatchObject({ code: 2, stderr: 'seg: seg data has no action "fetch"; the actions are list, get, verify, path.' });
    expect(await seg('data')).toMatchObject({ code: 2, stderr: 'seg: seg data needs an action: list, get, verify, path (see seg data --help).' });
  });

  it('get fetches, then verify checks every file; a folder in the layout is taken as it is', async () => {
    const r = await seg('data', 'get', 'sample');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`seg data: sample is ready in ${path.join(dir, 'data', 'sample')}`);
    expect((await seg('data', 'list', '--json')).stdout).toContain('"status": "ready"');
    const v = await seg('data', 'verify', 'sample');
    expect(v).toMatchObject({ code: 0, stdout: `sample: ${readdirSync(SAMPLE, { recursive: true }).filter((f) => /\.(png|txt)$/.test(String(f))).length} files in ${path.join(dir, 'data', 'sample')} match their SHA-256` });
    // a copy of the sample named camvid is camvid only in part: verify says which files are missing
    cpSync(SAMPLE, path.join(dir, 'data', 'camvid'), { recursive: true });
    const partial = await seg('data', 'verify', 'camvid');
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/^seg: 1387 of 1405 files of camvid in .* do not check out: test\.txt has 102 bytes, not 12225; test\/0001TP_008610\.png is missing; test\/0001TP_008640\.png is missing; and 1384 more; seg data get camvid fetches them again\.$/);
  });

  it('get leaves a folder it did not prepare alone, in one sentence; sbd without voc2012 is one sentence naming the command that gets voc2012', async () => {
    const data = path.join(dir, 'data');
    const ade = path.join(data, 'ade20k');
    mkdirSync(ade, { recursive: true });
    writeFileSync(path.join(ade, 'mine.txt'), 'my own unzipped copy');
    const foreign = `seg: ${ade} holds no .seg-manifest.json, so it is not a folder seg prepared for ade20k and seg data get leaves it alone: move it away and run \`seg data get ade20k\` again, or read it as it is with --data ${ade} --format ade20k.`;
    expect(await seg('data', 'get', 'ade20k')).toMatchObject({ code: 2, stderr: foreign });
    expect(await seg('data', 'verify', 'ade20k')).toMatchObject({ code: 2, stderr: foreign });
    expect(readFileSync(path.join(ade, 'mine.txt'), 'utf8')).toBe('my own unzipped copy');
    rmSync(ade, { recursive: true });
    // an sbd folder as seg prepares it (its manifest, with the pins of today), without voc2012 beside it
    const sbd = path.join(data, 'sbd');
    mkdirSync(sbd, { recursive: true });
    const archives = datasetSource('sbd')!.archives!.map(({ urls: _u, byHand: _b, ...pin }) => pin);
    writeFileSync(path.join(sbd, '.seg-manifest.json'), JSON.stringify({ dataset: 'sbd', archives, files: [] }));
    const needs = `seg: Dataset sbd is prepared in ${sbd} but needs voc2012, which is not in ${data}; run \`seg data get voc2012\` (2.0 GB to download).`;
    expect(await seg('train', '--model', 'unet-same-bn', '--data', 'sbd')).toMatchObject({ code: 2, stderr: needs });
    expect(await seg('data', 'path', 'sbd')).toMatchObject({ code: 2, stderr: needs });
    expect(JSON.parse((await seg('data', 'list', '--json')).stdout).find((d: { name: string }) => d.name === 'sbd')).toMatchObject({ status: 'partial', notReady: needs.slice('seg: '.length) });
    rmSync(sbd, { recursive: true });
  });
});
