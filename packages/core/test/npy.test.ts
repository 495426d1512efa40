/** .npy reading and writing (seg crf's probability input). */
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../src/io/npy.js';

describe('.npy files', () => {
  it('round-trips float32 arrays and reads float64', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7 - 1);
    const bytes = encodeNpy(data, [2, 3, 4]);
    // header + data aligned to 64 bytes, as numpy writes it
    expect((bytes.length - data.length * 4) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    // a hand-built float64 file, version 1.0
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const f64 = new Uint8Array(10 + padded.length + 16);
    f64.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(f64.buffer).setUint16(8, padded.length, true);
    for (let i = 0; i < padded.length; i++) f64[10 + i] = padded.charCodeAt(i);
    new DataView(f64.buffer).setFloat64(10 + padded.length, 0.25, true);
    new DataView(f64.buffer).setFloat64(10 + padded.length + 8, -3, true);
    expect(parseNpy(f64)).toEqual({ shape: [2], data: Float32Array.from([0.25, -3]) });
  });

  it('rejects what it cannot read with one sentence naming the file', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'p.npy')).toThrow('p.npy is not a .npy file (no \\x93NUMPY header).');
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 4), 'p.npy')).toThrow('p.npy is truncated: shape (2, 3) needs 24 bytes of data, the file has 20.');
    const int = Uint8Array.from(bytes);
    const at = new TextDecoder().decode(int).indexOf('<f4');
    int.set([0x3c, 0x69, 0x34], at); // '<i4'
    expect(() => parseNpy(int, 'p.npy')).toThrow("p.npy holds dtype <i4; seg reads little-endian float32 ('<f4') or float64 ('<f8').");
  });
});
