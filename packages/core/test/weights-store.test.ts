/**
 * `seg weights`' store: a Hub file fetched over HTTP from a server on
 * 127.0.0.1 laid out as the Hub (<repo>/resolve/<revision>/model.safetensors),
 * checked against its pinned size and SHA-256, resumed after a cut, refused
 * when it differs; a folder mirror; the one sentence for weights not fetched.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchWeights, InputError, knownWeights, registerWeights, verifyWeights, weightsFile, weightsStatus, writeSafetensorsSync, writeSeededWeights } from '../src/index.js';
import { refusal } from './helpers.js';

const REPO = 'timm/resnet50.tv_in1k';
const R101 = 'timm/resnet101.tv_in1k';
const REVISION = '78f3ecfdb38e06d9b8397f662e7ab8fee96026fa';
const original = { ...knownWeights('resnet50-imagenet') };
const original101 = { ...knownWeights('resnet101-imagenet') };

describe('seg weights: fetching from the Hub', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'seg-weights-'));
  const source = path.join(root, 'source.safetensors');
  /** What the server hands out for ResNet-101, whose file has no published SHA-256. */
  const r101Source = path.join(root, 'r101.safetensors');
  let body: Buffer;
  let server: Server;
  let base = '';
  const requests: { url: string; range?: string }[] = [];
  let behaviour: { cut?: boolean; corrupt?: boolean } = {};
  const saved = { dir: process.env.SEG_WEIGHTS_DIR, mirror: process.env.SEG_WEIGHTS_MIRROR };

  beforeAll(async () => {
    writeSafetensorsSync(source, [['fc.weight', [300, 400]], ['fc.bias', [300]]], (_, s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)));
    body = readFileSync(source);
    registerWeights({ ...original, revision: REVISION, size: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', range: req.headers.range });
      if (req.url === `/${R101}/resolve/main/model.safetensors`) {
        res.end(readFileSync(r101Source));
        return;
      }
      if (req.url !== `/${REPO}/resolve/${REVISION}/model.safetensors`) {
        res.writeHead(404).end('Entry not found');
        return;
      }
      let bytes = body;
      if (behaviour.corrupt) {
        bytes = Buffer.from(body);
        bytes[bytes.length - 5] ^= 0xff;
      }
      if (behaviour.cut) {
        res.writeHead(200, { 'Content-Length': bytes.length });
        res.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => res.destroy(), 200));
        return;
      }
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(from ? 206 : 200, { 'Content-Length': bytes.length - from, ...(from ? { 'Content-Range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` } : {}) });
      res.end(bytes.subarray(from));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    registerWeights(original);
    registerWeights(original101);
    for (const [k, v] of [['SEG_WEIGHTS_DIR', saved.dir], ['SEG_WEIGHTS_MIRROR', saved.mirror]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(root, 'store-'));
    process.env.SEG_WEIGHTS_DIR = dir;
    process.env.SEG_WEIGHTS_MIRROR = base;
    behaviour = {};
    requests.length = 0;
  });
  const quiet = { log: () => {} };

  it('not fetched: one sentence with the command and its size; fetched: the file under its name, verified', async () => {
    expect(weightsStatus('resnet50-imagenet').status).toBe('missing');
    expect(() => weightsFile('resnet50-imagenet')).toThrow(InputError);
    expect(() => weightsFile('resnet50-imagenet')).toThrow(new RegExp(`not in ${dir}; run \`seg weights get resnet50-imagenet\` \\(${Math.round(body.length / 1000)} kB`));
    const file = await fetchWeights('resnet50-imagenet', quiet);
    expect(file).toBe(path.join(dir, 'resnet50-imagenet.safetensors'));
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(weightsStatus('resnet50-imagenet')).toMatchObject({ status: 'ready', bytes: body.length });
    expect(await verifyWeights('resnet50-imagenet')).toEqual({ file });
    expect(requests.map((r) => r.url)).toEqual([`/${REPO}/resolve/${REVISION}/model.safetensors`]);
    // Again: nothing is fetched.
    await fetchWeights('resnet50-imagenet', quiet);
    expect(requests).toHaveLength(1);
  });

  it('a connection cut every time leaves a .part and one sentence; the next get resumes it with a Range request', async () => {
    behaviour.cut = true;
    const why = await refusal(fetchWeights('resnet50-imagenet', quiet));
    expect(why).toMatch(/failed after 5 attempts: .*run the same command again to resume\.$/);
    expect(existsSync(path.join(dir, 'resnet50-imagenet.safetensors'))).toBe(false);
    expect(statSync(path.join(dir, 'resnet50-imagenet.safetensors.part')).size).toBe(body.length >> 1);
    expect(weightsStatus('resnet50-imagenet').status).toBe('partial');
    behaviour.cut = false;
    requests.length = 0;
    await fetchWeights('resnet50-imagenet', quiet);
    expect(requests.map((r) => r.range)).toEqual([`bytes=${body.length >> 1}-`]);
    expect(readFileSync(path.join(dir, 'resnet50-imagenet.safetensors')).equals(body)).toBe(true);
  });

  it('a file that differs from its pin is refused in one sentence and not kept; a changed file fails verify', async () => {
    behaviour.corrupt = true;
    expect(await refusal(fetchWeights('resnet50-imagenet', quiet))).toMatch(/^resnet50-imagenet\.safetensors from http:\/\/127\.0\.0\.1:\d+\/timm\/resnet50\.tv_in1k\/resolve\/.* does not match its pinned checksum .*: the source or mirror holds a different file\.$/);
    expect(existsSync(path.join(dir, 'resnet50-imagenet.safetensors'))).toBe(false);
    expect(existsSync(path.join(dir, 'resnet50-imagenet.safetensors.part'))).toBe(false);
    behaviour.corrupt = false;
    const file = await fetchWeights('resnet50-imagenet', quiet);
    const changed = readFileSync(file);
    changed[changed.length - 1] ^= 1;
    writeFileSync(file, changed);
    expect((await verifyWeights('resnet50-imagenet')).problem).toBe(`${file} does not match its pinned SHA-256`);
  });

  it('SEG_WEIGHTS_MIRROR as a folder in the Hub layout; an unreachable host names the variable', async () => {
    const mirror = path.join(root, 'mirror');
    mkdirSync(path.join(mirror, REPO, 'resolve', REVISION), { recursive: true });
    writeFileSync(path.join(mirror, REPO, 'resolve', REVISION, 'model.safetensors'), body);
    process.env.SEG_WEIGHTS_MIRROR = mirror;
    expect(readFileSync(await fetchWeights('resnet50-imagenet', quiet)).equals(body)).toBe(true);
    expect(requests).toHaveLength(0);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    process.env.SEG_WEIGHTS_DIR = path.join(root, 'other');
    process.env.SEG_WEIGHTS_MIRROR = `http://127.0.0.1:${port}`;
    expect(await refusal(fetchWeights('resnet50-imagenet', quiet))).toMatch(/^Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\) .*; on a machine without access to it, point SEG_WEIGHTS_MIRROR at a copy \(a base URL or folder holding timm\/resnet50\.tv_in1k\/resolve\/.*\/model\.safetensors\)\.$/);
  });

  it('a file with no published SHA-256 (ResNet-101) takes its name only as a whole safetensors file of its architecture', async () => {
    writeSeededWeights(r101Source, 'resnet50');
    expect(await refusal(fetchWeights('resnet101-imagenet', quiet))).toMatch(/resnet101-imagenet\.safetensors\.unchecked holds resnet50, not resnet101; the source or mirror holds a different file\.$/);
    expect(weightsStatus('resnet101-imagenet').status).toBe('missing');
    writeSeededWeights(r101Source, 'resnet101');
    const file = await fetchWeights('resnet101-imagenet', quiet);
    expect(readFileSync(file).equals(readFileSync(r101Source))).toBe(true);
    expect(await verifyWeights('resnet101-imagenet')).toEqual({ file, unpinned: true });
    // Cut short: the header's ranges run past the end.
    writeFileSync(file, readFileSync(r101Source).subarray(0, 1_000_000));
    expect((await verifyWeights('resnet101-imagenet')).problem).toMatch(/cut short/);
    rmSync(r101Source);
  }, 60_000);

  it('an unknown name is one sentence with the nearest', () => {
    expect(() => weightsStatus('resnet50-imagnet')).toThrow(/^Unknown weights "resnet50-imagnet" \(did you mean "resnet50-imagenet"\?\); seg weights list shows them/);
  });
});
