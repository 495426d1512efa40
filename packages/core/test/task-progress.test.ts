import { describe, expect, it } from 'vitest';
import { formatBytes, TaskProgress } from '../src/index.js';

describe('TaskProgress', () => {
  it('without a terminal writes a line each time another 5% is done, ending at 100% with the time taken', () => {
    const lines: string[] = [];
    const p = new TaskProgress('eval', 40, { noun: 'images', tty: false, write: (s) => lines.push(s) });
    for (let i = 1; i <= 40; i++) p.update(i);
    p.end();
    // the first item, then each further 5%
    expect(lines).toHaveLength(21);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(lines[0]).toMatch(/^eval {3}3% 1\/40 images {2}[\d.]+\/s {2}\d+s left\n$/);
    expect(lines.at(-1)).toMatch(/^eval 100% 40\/40 images {2}[\d.]+\/s {2}in \d+s\n$/);
  });

  it('on a terminal redraws one bar in place and ends its line once', () => {
    const out: string[] = [];
    const p = new TaskProgress('get', 2_000_000, { unit: 'bytes', tty: true, write: (s) => out.push(s) });
    p.update(500_000);
    p.update(2_000_000);
    p.end();
    p.end();
    expect(out[0]).toMatch(/^\r\[#####-{15}\] get {2}25% 500 kB\/2\.0 MB {2}\S+ \S+\/s {2}\d+s left\x1b\[K$/);
    expect(out[1]).toMatch(/^\r\[#{20}\] get 100% 2\.0 MB\/2\.0 MB/);
    expect(out.slice(2)).toEqual(['\n']);
  });

  it('gives sizes in decimal units', () => {
    expect([999, 1000, 186_849_579, 1_999_639_040].map(formatBytes)).toEqual(['999 B', '1.0 kB', '187 MB', '2.0 GB']);
  });
});
