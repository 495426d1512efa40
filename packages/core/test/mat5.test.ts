/**
 * The MAT-file reader against files scipy.io.savemat wrote
 * (scripts/mat-fixtures.py), compressed and plain: SBD's GTcls struct with a
 * class map stated here by hand, every numeric type, logical, char, cell,
 * sparse, 3-D and empty arrays; and one sentence for what it does not read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, readMat, rowMajor2d, type MatValue } from '../src/index.js';

const fixture = (name: string) => new Uint8Array(readFileSync(path.join(__dirname, 'fixtures', 'mat', name)));

const SEGMENTATION = [
  [0, 0, 0, 15, 15, 0, 0],
  [0, 1, 1, 15, 15, 0, 0],
  [0, 1, 1, 0, 0, 0, 255],
  [0, 0, 0, 0, 20, 20, 255],
  [0, 0, 0, 0, 20, 20, 0],
];

const numeric = (v: MatValue | undefined) => {
  if (v?.kind !== 'numeric') throw new Error(`expected a numeric array, got ${v?.kind}`);
  return v;
};

describe.each(['compressed', 'plain'])('readMat, %s', (tag) => {
  it("reads SBD's GTcls struct: the uint8 class map in row-major order, the categories, the cell of sparse boundaries", () => {
    const vars = readMat(fixture(`sbd-${tag}.mat`));
    expect([...vars.keys()]).toEqual(['GTcls']);
    const gt = vars.get('GTcls')!;
    if (gt.kind !== 'struct') throw new Error(gt.kind);
    expect(gt.dims).toEqual([1, 1]);
    expect(gt.fields).toEqual(['Boundaries', 'Segmentation', 'CategoriesPresent']);
    const seg = numeric(gt.elements[0]!.Segmentation);
    expect(seg.class).toBe('uint8');
    expect(seg.dims).toEqual([5, 7]);
    // Column-major on disk: the first column is 0, 0, 0, 0, 0, the second 0, 1, 1, 0, 0.
    expect(Array.from(seg.real.subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    const map = rowMajor2d(seg);
    expect([map.rows, map.cols]).toEqual([5, 7]);
    expect(Array.from(map.data)).toEqual(SEGMENTATION.flat());
    expect(Array.from(numeric(gt.elements[0]!.CategoriesPresent).real)).toEqual([1, 15, 20]);
    const b = gt.elements[0]!.Boundaries!;
    if (b.kind !== 'cell') throw new Error(b.kind);
    expect(b.dims).toEqual([2, 1]);
    const [first, second] = b.cells;
    if (first?.kind !== 'sparse' || second?.kind !== 'sparse') throw new Error('expected sparse cells');
    // [[0 1 0]; [1 0 0]] (logical): column 1 has row 2, column 2 row 1.
    expect(first).toMatchObject({ logical: true, dims: [2, 3] });
    expect(Array.from(first.colStart)).toEqual([0, 1, 2, 2]);
    expect(Array.from(first.rowIndex)).toEqual([1, 0]);
    expect(Array.from(first.values)).toEqual([1, 1]);
    // [[0 0 2.5]; [0 0 0]]: one value, row 1 of column 3.
    expect(Array.from(second.colStart)).toEqual([0, 0, 0, 1]);
    expect(Array.from(second.rowIndex)).toEqual([0]);
    expect(Array.from(second.values)).toEqual([2.5]);
  });

  it('reads each numeric class, logical, char, complex, 3-D, empty and cell arrays', () => {
    const v = readMat(fixture(`numbers-${tag}.mat`));
    expect(numeric(v.get('d'))).toMatchObject({ class: 'double', dims: [2, 3] });
    expect(Array.from(rowMajor2d(v.get('d')!).data)).toEqual([1.5, -2, 3.25, 4, 5.5, -6]);
    expect(numeric(v.get('i16'))).toMatchObject({ class: 'int16', dims: [1, 2] });
    expect(Array.from(numeric(v.get('i16')).real)).toEqual([-300, 7]);
    expect(numeric(v.get('s'))).toMatchObject({ class: 'single', dims: [1, 2] });
    expect(Array.from(numeric(v.get('s')).real)).toEqual([0.5, 1.5]);
    expect(Array.from(numeric(v.get('u32')).real)).toEqual([4_000_000_000]);
    expect(numeric(v.get('flag'))).toMatchObject({ logical: true, dims: [1, 3] });
    expect(Array.from(numeric(v.get('flag')).real)).toEqual([1, 0, 1]);
    expect(v.get('name')).toEqual({ kind: 'char', dims: [1, 5], text: 'hello' });
    const z = numeric(v.get('z'));
    expect([Array.from(z.real), Array.from(z.imag!)]).toEqual([[1, 3], [2, -4]]);
    // numpy's arange(24).reshape(2, 3, 4): element (i, j, k) = 12i + 4j + k, stored with i fastest.
    const cube = numeric(v.get('cube'));
    expect(cube).toMatchObject({ class: 'int32', dims: [2, 3, 4] });
    const at = (i: number, j: number, k: number) => cube.real[i + 2 * j + 6 * k];
    expect([at(0, 0, 1), at(1, 0, 0), at(0, 1, 0), at(1, 2, 3)]).toEqual([1, 12, 4, 23]);
    expect(numeric(v.get('empty'))).toMatchObject({ dims: [0, 3] });
    const cells = v.get('cells')!;
    if (cells.kind !== 'cell') throw new Error(cells.kind);
    expect(cells.cells.map((c) => (c.kind === 'char' ? c.text : Array.from(numeric(c).real)))).toEqual([[1], 'ab']);
  });
});

describe('readMat refuses what it does not read, in one sentence', () => {
  const refusal = (bytes: Uint8Array) => {
    try {
      readMat(bytes, 'x.mat');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return (err as Error).message;
    }
    throw new Error('no refusal');
  };

  it('a MATLAB object, a v7.3 (HDF5) file, a v4 file, a cut file and corrupt compressed data', () => {
    expect(refusal(fixture('object.mat'))).toBe('x.mat: variable 1 "obj" is a MATLAB object, which seg does not read.');
    const v73 = fixture('sbd-plain.mat').slice();
    v73.set(new TextEncoder().encode('MATLAB 7.3 MAT-file'), 0);
    v73[124] = 0;
    v73[125] = 2;
    expect(refusal(v73)).toBe('x.mat: a MATLAB 7.3 (HDF5) MAT-file, which seg does not read; save it with -v7 or -v6.');
    expect(refusal(new Uint8Array(200))).toMatch(/^x\.mat: not a MATLAB 5 MAT-file \(no byte-order mark/);
    const plain = fixture('sbd-plain.mat');
    expect(refusal(plain.subarray(0, plain.length - 40))).toMatch(/^x\.mat: an element of \d+ bytes runs past the end at byte 128 \(the file is cut short\)\.$/);
    const compressed = fixture('sbd-compressed.mat').slice();
    compressed.fill(0x55, 140, 160);
    expect(refusal(compressed)).toMatch(/^x\.mat: variable 1's compressed data does not inflate \(/);
  });
});
