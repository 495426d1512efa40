/** evaluate() reports its progress per image through TaskProgress, to the writer it is given. */
import { beforeAll, describe, expect, it } from 'vitest';
import { conv, evaluate, initEngine, seededBuild, syntheticDataset, tfl } from '../src/index.js';

function sameNet() {
  return seededBuild(2, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    return tfl.model({ inputs: input, outputs: conv(input, 3, { kernel: 1 }) });
  });
}

describe('evaluate progress', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('writes lines off a terminal, every few percent up to 100% of the images', async () => {
    const lines: string[] = [];
    const r = await evaluate(sameNet(), syntheticDataset({ count: 7, height: 12, width: 12, classes: 3, seed: 1 }), { batchSize: 3, progress: { write: (s) => lines.push(s), tty: false, everyPercent: 10 } });
    expect(r.images).toBe(7);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.startsWith('seg eval synthetic ') && l.endsWith('\n'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^seg eval synthetic 100% 7\/7 images .* in /);
    const percents = lines.map((l) => Number(/ (\d+)% /.exec(l)![1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });

  it('redraws one bar on a terminal and ends its line; writes nothing without the option', async () => {
    const out: string[] = [];
    await evaluate(sameNet(), syntheticDataset({ count: 3, height: 8, width: 8, classes: 3, seed: 2 }), { progress: { label: 'eval', write: (s) => out.push(s), tty: true } });
    expect(out.slice(0, -1).every((s) => s.startsWith('\r['))).toBe(true);
    expect(out.at(-2)).toContain('100% 3/3 images');
    expect(out.at(-1)).toBe('\n');
    const quiet: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => quiet.push(s) > 0) as typeof process.stderr.write;
    try {
      await evaluate(sameNet(), syntheticDataset({ count: 2, height: 8, width: 8, classes: 3, seed: 2 }));
    } finally {
      process.stderr.write = write;
    }
    expect(quiet).toEqual([]);
  });
});
