/**
 * NumPy .npy files (format versions 1-3), the way users hand probability maps
 * to `seg crf`: little-endian float32 or float64 arrays in C order.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */

export interface NpyArray {
  shape: number[];
  /** Values in C order, as float32. */
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a .npy file; `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = 'the .npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name} is not a .npy file (no \\x93NUMPY header).`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new Error(`${name} is truncated (its header runs past the end of the file).`);
  const header = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${name} has an unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${name} is stored in Fortran order; save it in C order (np.ascontiguousarray).`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${name} has an invalid shape (${shapeText}).`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!itemSize) throw new Error(`${name} holds dtype ${descr}; seg reads little-endian float32 ('<f4') or float64 ('<f8').`);
  if (bytes.length - offset < count * itemSize) throw new Error(`${name} is truncated: shape (${shape.join(', ')}) needs ${count * itemSize} bytes of data, the file has ${bytes.length - offset}.`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = itemSize === 4 ? view.getFloat32(offset + 4 * i, true) : view.getFloat64(offset + 8 * i, true);
  return { shape, data };
}

/** A version-1.0 .npy file holding float32 `data` of `shape`, C order. */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape (${shape.join(', ')}) needs ${count} values, got ${data.length}.`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Header padded with spaces and a newline so the data starts on a 64-byte boundary.
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const header = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(10 + header.length + 4 * i, data[i]!, true);
  return out;
}
