/**
 * The safetensors reader against a file the safetensors package wrote
 * (scripts/safetensors-fixtures.py): F32, F16 and I64 tensors with values
 * stated here by hand, the metadata, a subset by name; and one sentence for
 * a cut file, a bad header, an unknown dtype, overlapping ranges and a
 * missing tensor.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusal } from './helpers.js';
import { readSafetensors, readSafetensorsHeader } from '../src/index.js';

const SMALL = path.join(__dirname, 'fixtures', 'safetensors', 'small.safetensors');
const dir = mkdtempSync(path.join(tmpdir(), 'seg-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file with this header (JSON) and data bytes, as the format lays them out. */
function written(name: string, header: object, data: Uint8Array): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

describe('readSafetensors', () => {
  it('reads every tensor as float32 with its shape, and the metadata', async () => {
    const h = await readSafetensorsHeader(SMALL);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect([...h.tensors.keys()].sort()).toEqual(['bn1.num_batches_tracked', 'bn1.running_var', 'conv1.weight', 'pre_logits.fc1.bias']);
    const t = await readSafetensors(SMALL);
    // (arange(24) - 12) / 4 in [2, 3, 2, 2], row-major as PyTorch stores it.
    expect(t.get('conv1.weight')!.shape).toEqual([2, 3, 2, 2]);
    expect(Array.from(t.get('conv1.weight')!.data)).toEqual(Array.from({ length: 24 }, (_, i) => (i - 12) / 4));
    expect(Array.from(t.get('bn1.running_var')!.data)).toEqual([1, 0.25]);
    expect(t.get('bn1.num_batches_tracked')).toEqual({ shape: [], data: new Float32Array([7]) });
    // F16: 65504 is the largest half.
    expect(Array.from(t.get('pre_logits.fc1.bias')!.data)).toEqual([0.5, -1.5, 65504]);
  });

  it('reads only the tensors asked for, and names a missing one', async () => {
    expect([...(await readSafetensors(SMALL, ['bn1.running_var'])).keys()]).toEqual(['bn1.running_var']);
    expect(await refusal(readSafetensors(SMALL, ['fc.weight']))).toMatch(/small\.safetensors: no tensor fc\.weight; it has 4 tensors, e\.g\. /);
  });

  it('widens BF16 (the upper half of a float32)', async () => {
    // 1.5 is 0x3FC00000 as float32; -2 is 0xC0000000.
    const file = written('bf16.safetensors', { w: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array([0xc0, 0x3f, 0x00, 0xc0]));
    expect(Array.from((await readSafetensors(file)).get('w')!.data)).toEqual([1.5, -2]);
  });

  it('refuses a cut file, a header that is not JSON, an unknown dtype, a wrong size and overlapping ranges, in one sentence', async () => {
    const bytes = readFileSync(SMALL);
    const cut = path.join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(await refusal(readSafetensors(cut))).toMatch(/cut\.safetensors: tensor conv1\.weight's bytes 16-112 run past the end of the file \(cut short\?\)\.$/);
    const notJson = path.join(dir, 'not-json.safetensors');
    writeFileSync(notJson, Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{no}')]));
    expect(await refusal(readSafetensorsHeader(notJson))).toMatch(/not-json\.safetensors: its header is not JSON/);
    expect(await refusal(readSafetensorsHeader(path.join(dir, 'none.safetensors')))).toMatch(/none\.safetensors: no such file\.$/);
    const huge = path.join(dir, 'huge.safetensors');
    writeFileSync(huge, Buffer.from([255, 255, 255, 255, 0, 0, 0, 0, 1, 2]));
    expect(await refusal(readSafetensorsHeader(huge))).toMatch(/not a safetensors file, or cut short/);
    expect(await refusal(readSafetensorsHeader(written('c64.safetensors', { w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))))).toMatch(/tensor w has dtype C64, which seg does not read/);
    expect(await refusal(readSafetensorsHeader(written('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))))).toMatch(/tensor w \(F32, shape \[3\]\) has 8 bytes, not 12/);
    const overlap = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    expect(await refusal(readSafetensorsHeader(written('overlap.safetensors', overlap, new Uint8Array(8))))).toMatch(/tensor b starts at byte 4 of the data, not 8 \(overlapping or with a gap\)/);
  });
});
