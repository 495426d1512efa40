/** seg crf: a probability map and an image in, the CRF's MAP labels out, as the library computes them. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, readLabelPng, writePng } from '@seg/core';
import { denseCrf } from '@seg/crf';
import { segWithEngineLine as seg } from './seg.js';


const W = 40;
const H = 30;

describe('seg crf', () => {
  let dir: string;
  let image: Uint8Array;
  let probs: Float32Array;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'seg-crf-'));
    // A disc on a background; the probabilities are the disc shifted 3 px and softened.
    image = new Uint8Array(W * H * 3);
    probs = new Float32Array(W * H * 2);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        const inDisc = (x - 20) ** 2 + (y - 15) ** 2 < 100;
        image.set(inDisc ? [210, 60, 50] : [30, 90, 170], p * 3);
        const shifted = (x - 23) ** 2 + (y - 15) ** 2 < 100;
        probs[p * 2 + 1] = shifted ? 0.7 : 0.3;
        probs[p * 2] = 1 - probs[p * 2 + 1]!;
      }
    }
    await writePng(path.join(dir, 'img.png'), { width: W, height: H, channels: 3, data: image });
    writeFileSync(path.join(dir, 'p.npy'), encodeNpy(probs, [H, W, 2]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the MAP labels of the library CRF and reports seconds, iterations and changed pixels', async () => {
    const out = path.join(dir, 'mask.png');
    const r = await seg('crf', '--image', path.join(dir, 'img.png'), '--probs', path.join(dir, 'p.npy'), '--bilateral', '5,10,10', '--iters', '8', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result)).toEqual(['seconds', 'iters', 'changed_pixels']);
    expect(result.iters).toBe(8);
    const want = denseCrf({ width: W, height: H, labels: 2, probs, image }, { iterations: 8, bilateral: { weight: 5, thetaAlpha: 10, thetaBeta: 10 } }).labels;
    const got = await readLabelPng(out);
    expect([got.width, got.height]).toEqual([W, H]);
    expect(Array.from(got.data)).toEqual(Array.from(want));
    let changed = 0;
    for (let p = 0; p < W * H; p++) if ((probs[p * 2 + 1]! > probs[p * 2]! ? 1 : 0) !== want[p]) changed++;
    expect(result.changed_pixels).toBe(changed);
    // the shifted disc moved back onto the image's disc
    expect(changed).toBeGreaterThan(20);
  });

  it('bad input: one sentence naming the flag or file, exit 2, no output written', async () => {
    writeFileSync(path.join(dir, 'small.npy'), encodeNpy(new Float32Array(10 * 10 * 2).fill(0.5), [10, 10, 2]));
    writeFileSync(path.join(dir, 'unnormalised.npy'), encodeNpy(new Float32Array(H * W * 2).fill(0.7), [H, W, 2]));
    const nan = Float32Array.from(probs);
    nan[5] = NaN;
    writeFileSync(path.join(dir, 'nan.npy'), encodeNpy(nan, [H, W, 2]));
    writeFileSync(path.join(dir, 'text.npy'), 'not numpy');
    const img = path.join(dir, 'img.png');
    const out = path.join(dir, 'bad.png');
    const cases: [string[], RegExp][] = [
      [['--image', img, '--out', out], /^seg: seg crf needs --probs; see seg crf --help\.$/],
      [['--image', img, '--probs', path.join(dir, 'none.npy'), '--out', out], /^seg: --probs .*none\.npy does not exist\.$/],
      [['--image', img, '--probs', path.join(dir, 'small.npy'), '--out', out], /^seg: --probs .*small\.npy is 10x10 \(H x W\) but --image .*img\.png is 30x40\.$/],
      [['--image', img, '--probs', path.join(dir, 'unnormalised.npy'), '--out', out], /^seg: --probs .*unnormalised\.npy: the probabilities at row 0, column 0 sum to 1\.4000, not 1\.$/],
      [['--image', img, '--probs', path.join(dir, 'nan.npy'), '--out', out], /^seg: --probs .*nan\.npy holds NaN at row 0, column 2, label 1; probabilities must be finite and non-negative\.$/],
      [['--image', img, '--probs', path.join(dir, 'text.npy'), '--out', out], /^seg: --probs .*text\.npy is not a \.npy file/],
      [['--image', img, '--probs', path.join(dir, 'p.npy'), '--bilateral', '4,67', '--out', out], /^seg: --bilateral must be W,THETA_ALPHA,THETA_BETA, 3 positive numbers separated by commas \(got "4,67"\)\.$/],
      [['--image', img, '--probs', path.join(dir, 'p.npy'), '--iters', '0', '--out', out], /^seg: --iters must be a positive integer \(got "0"\)\.$/],
    ];
    for (const [args, message] of cases) {
      const r = await seg('crf', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('bad'))).toEqual([]);
  });
});
