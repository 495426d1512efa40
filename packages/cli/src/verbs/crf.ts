import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { denseCrf } from '@seg/crf';
import { parseVerbArgs } from '../args.js';
import { crfParams } from '../crf.js';
import { UsageError } from '../errors.js';

export const help = `seg crf --image IMG --probs FILE.npy [--iters 10] [--bilateral W,THETA_ALPHA,THETA_BETA]
        [--gaussian W,THETA_GAMMA] --out MASK.png [--json]

Dense CRF (Krähenbühl & Koltun 2011, computed as pydensecrf does) on a
probability map: FILE.npy is float32 (or float64), H x W x C, each pixel
summing to 1, the same H x W as IMG. Writes the MAP labels as an 8-bit grey
PNG. Defaults are DeepLab v2's: --bilateral 4,67,3 --gaussian 3,1 --iters 10.`;

export async function run(argv: string[], out: (s: string) => void): Promise<void> {
  const { values: v } = parseVerbArgs('crf', argv, {
    image: { type: 'string' },
    probs: { type: 'string' },
    iters: { type: 'string' },
    bilateral: { type: 'string' },
    gaussian: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  for (const flag of ['image', 'probs', 'out'] as const) {
    if (typeof v[flag] !== 'string') throw new UsageError(`seg crf needs --${flag}; see seg crf --help.`);
  }
  const imageFile = v.image as string;
  const probsFile = v.probs as string;
  const outFile = v.out as string;
  if (!existsSync(imageFile)) throw new UsageError(`--image ${imageFile} does not exist.`);
  if (!existsSync(probsFile)) throw new UsageError(`--probs ${probsFile} does not exist.`);
  const params = crfParams(v, 'iters');
  const { parseNpy, readImage, writePng } = await import('@seg/core');
  let npy;
  try {
    npy = parseNpy(new Uint8Array(await readFile(probsFile)), `--probs ${probsFile}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const raw = await readImage(imageFile, 3);
  if (npy.shape.length !== 3) throw new UsageError(`--probs ${probsFile} has shape (${npy.shape.join(', ')}); it must be H x W x C.`);
  const [h, w, c] = npy.shape as [number, number, number];
  if (h !== raw.height || w !== raw.width) {
    throw new UsageError(`--probs ${probsFile} is ${h}x${w} (H x W) but --image ${imageFile} is ${raw.height}x${raw.width}.`);
  }
  if (c > 256) throw new UsageError(`--probs ${probsFile} has ${c} labels; an 8-bit PNG holds at most 256.`);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let l = 0; l < c; l++) {
      const x = npy.data[p * c + l]!;
      if (!Number.isFinite(x) || x < 0) throw new UsageError(`--probs ${probsFile} holds ${x} at row ${Math.floor(p / w)}, column ${p % w}, label ${l}; probabilities must be finite and non-negative.`);
      s += x;
    }
    if (Math.abs(s - 1) > 1e-3) throw new UsageError(`--probs ${probsFile}: the probabilities at row ${Math.floor(p / w)}, column ${p % w} sum to ${s.toFixed(4)}, not 1.`);
  }
  const t0 = performance.now();
  const { labels } = denseCrf({ width: w, height: h, labels: c, probs: npy.data, image: raw.data, channels: 3 }, params);
  const seconds = (performance.now() - t0) / 1000;
  // Pixels whose label the CRF changed, relative to the argmax of the input.
  let changed = 0;
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let l = 1; l < c; l++) if (npy.data[p * c + l]! > npy.data[p * c + best]!) best = l;
    if (best !== labels[p]) changed++;
  }
  await writePng(outFile, { width: w, height: h, channels: 1, data: labels instanceof Uint8Array ? labels : Uint8Array.from(labels) });
  const result = { seconds: Number(seconds.toFixed(3)), iters: params.iterations, changed_pixels: changed };
  out(v.json ? JSON.stringify(result) : `${outFile}: ${changed} pixels changed, ${params.iterations} iterations, ${result.seconds} s`);
}
