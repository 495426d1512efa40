/**
 * A reader of MATLAB's level-5 MAT-files (MATLAB's "MAT-File Format",
 * chapter 1), for what datasets ship in them: SBD's cls/*.mat hold a struct
 * GTcls whose field Segmentation is the uint8 class map. It reads the
 * 128-byte header (either byte order), zlib-compressed and plain elements,
 * small elements, numeric and logical arrays (stored in any numeric type,
 * as MATLAB and scipy narrow them), char arrays, structs, cells and sparse
 * matrices. Arrays keep MATLAB's column-major order; `rowMajor2d` turns a
 * matrix into the row-major image layout. Objects, function handles and
 * v7.3 (HDF5) or v4 files are refused in one sentence.
 */
import { inflateSync } from 'node:zlib';
import { InputError } from '../errors/input-error.js';

export type MatNumericClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

export type MatValue =
  | { kind: 'numeric'; class: MatNumericClass; logical: boolean; dims: number[]; real: Float64Array; imag?: Float64Array }
  | { kind: 'char'; dims: number[]; text: string }
  | { kind: 'struct'; dims: number[]; fields: string[]; elements: Record<string, MatValue>[] }
  | { kind: 'cell'; dims: number[]; cells: MatValue[] }
  | { kind: 'sparse'; logical: boolean; dims: number[]; rowIndex: Int32Array; colStart: Int32Array; values: Float64Array };

// Data types of elements (miINT8 ...) and array classes (mxCELL_CLASS ...), as the format numbers them.
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const NUMERIC_CLASSES: Record<number, MatNumericClass> = { 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64' };
const CLASS_NAMES: Record<number, string> = { 3: 'a MATLAB object', 16: 'a function handle', 17: 'an opaque object (a class instance)' };
const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;
const MX_SPARSE = 5;

interface Element {
  type: number;
  data: DataView;
}

class Reader {
  constructor(
    private readonly file: string,
    private readonly little: boolean,
  ) {}

  fail(what: string): never {
    throw new InputError(`${this.file}: ${what}.`);
  }

  /** The element at `at` in `view`, and where the next one starts. */
  element(view: DataView, at: number): { el: Element; next: number } {
    if (at + 8 > view.byteLength) this.fail(`an element's tag runs past the end at byte ${view.byteOffset + at} (the file is cut short)`);
    const first = view.getUint32(at, this.little);
    // A small element packs its size into the tag's upper half and its data into the tag's second word.
    if (first >>> 16 !== 0) {
      const size = first >>> 16;
      if (size > 4) this.fail(`a small element claims ${size} bytes (at most 4 fit)`);
      return { el: { type: first & 0xffff, data: new DataView(view.buffer, view.byteOffset + at + 4, size) }, next: at + 8 };
    }
    const size = view.getUint32(at + 4, this.little);
    if (at + 8 + size > view.byteLength) this.fail(`an element of ${size} bytes runs past the end at byte ${view.byteOffset + at} (the file is cut short)`);
    const data = new DataView(view.buffer, view.byteOffset + at + 8, size);
    // Compressed elements are not padded; the others end on an 8-byte boundary.
    const next = first === MI.COMPRESSED ? at + 8 + size : at + 8 + Math.ceil(size / 8) * 8;
    return { el: { type: first, data }, next };
  }

  /** A numeric element's values as doubles (int64 beyond 2^53 loses precision, as in MATLAB's double()). */
  numbers(el: Element): Float64Array {
    const v = el.data;
    const width: Record<number, number> = { [MI.INT8]: 1, [MI.UINT8]: 1, [MI.INT16]: 2, [MI.UINT16]: 2, [MI.INT32]: 4, [MI.UINT32]: 4, [MI.SINGLE]: 4, [MI.DOUBLE]: 8, [MI.INT64]: 8, [MI.UINT64]: 8 };
    const w = width[el.type];
    if (!w) this.fail(`a numeric array is stored as data type ${el.type}, which is not a number type`);
    const n = Math.floor(v.byteLength / w);
    const out = new Float64Array(n);
    const le = this.little;
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (el.type) {
        case MI.INT8: out[i] = v.getInt8(o); break;
        case MI.UINT8: out[i] = v.getUint8(o); break;
        case MI.INT16: out[i] = v.getInt16(o, le); break;
        case MI.UINT16: out[i] = v.getUint16(o, le); break;
        case MI.INT32: out[i] = v.getInt32(o, le); break;
        case MI.UINT32: out[i] = v.getUint32(o, le); break;
        case MI.SINGLE: out[i] = v.getFloat32(o, le); break;
        case MI.DOUBLE: out[i] = v.getFloat64(o, le); break;
        case MI.INT64: out[i] = Number(v.getBigInt64(o, le)); break;
        default: out[i] = Number(v.getBigUint64(o, le));
      }
    }
    return out;
  }

  text(el: Element): string {
    const bytes = new Uint8Array(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    if (el.type === MI.UTF8 || el.type === MI.INT8 || el.type === MI.UINT8) return new TextDecoder().decode(bytes);
    if (el.type === MI.UTF16 || el.type === MI.UINT16) return String.fromCharCode(...this.numbers({ type: MI.UINT16, data: el.data }));
    if (el.type === MI.UTF32 || el.type === MI.UINT32) return String.fromCodePoint(...this.numbers({ type: MI.UINT32, data: el.data }));
    this.fail(`a char array is stored as data type ${el.type}`);
  }

  /** The subelements of a matrix element, in order. */
  parts(view: DataView): Element[] {
    const out: Element[] = [];
    for (let at = 0; at < view.byteLength; ) {
      const { el, next } = this.element(view, at);
      out.push(el);
      at = next;
    }
    return out;
  }

  /** A miMATRIX element: array flags, dimensions, name, then what its class holds. */
  matrix(el: Element, where: string): { name: string; value: MatValue } {
    if (el.type !== MI.MATRIX) this.fail(`${where} is data type ${el.type}, not an array`);
    // An empty field of a struct or cell is an element of no bytes: MATLAB's [].
    if (el.data.byteLength === 0) return { name: '', value: { kind: 'numeric', class: 'double', logical: false, dims: [0, 0], real: new Float64Array(0) } };
    const parts = this.parts(el.data);
    let i = 0;
    const next = () => parts[i++] ?? this.fail(`${where} ends before its parts do`);
    const flags = next().data.getUint32(0, this.little);
    const cls = flags & 0xff;
    const complex = (flags & 0x800) !== 0;
    const logical = (flags & 0x200) !== 0;
    const dims = Array.from(this.numbers(next()));
    const name = this.text(next());
    const at = name ? `${where} "${name}"` : where;
    const count = dims.reduce((a, b) => a * b, 1);
    const numeric = NUMERIC_CLASSES[cls];
    if (numeric) {
      const real = this.numbers(next());
      const imag = complex ? this.numbers(next()) : undefined;
      if (real.length !== count) this.fail(`${at} holds ${real.length} values for dimensions ${dims.join('x')}`);
      return { name, value: { kind: 'numeric', class: numeric, logical, dims, real, ...(imag ? { imag } : {}) } };
    }
    if (cls === MX_CHAR) {
      const part = parts[i];
      return { name, value: { kind: 'char', dims, text: part ? this.text(part) : '' } };
    }
    if (cls === MX_CELL) return { name, value: { kind: 'cell', dims, cells: Array.from({ length: count }, (_, k) => this.matrix(next(), `cell ${k + 1} of ${at}`).value) } };
    if (cls === MX_STRUCT) {
      const width = this.numbers(next())[0]!;
      const namesEl = next();
      const bytes = new Uint8Array(namesEl.data.buffer, namesEl.data.byteOffset, namesEl.data.byteLength);
      const fields: string[] = [];
      for (let o = 0; o + width <= bytes.length; o += width) fields.push(new TextDecoder().decode(bytes.subarray(o, o + width)).replace(/\0.*$/s, ''));
      const elements = Array.from({ length: count }, (_, k) => Object.fromEntries(fields.map((f) => [f, this.matrix(next(), `field ${f} of element ${k + 1} of ${at}`).value])));
      return { name, value: { kind: 'struct', dims, fields, elements } };
    }
    if (cls === MX_SPARSE) {
      const rowIndex = Int32Array.from(this.numbers(next()));
      const colStart = Int32Array.from(this.numbers(next()));
      const values = this.numbers(next());
      return { name, value: { kind: 'sparse', logical, dims, rowIndex, colStart, values: values.subarray(0, colStart[colStart.length - 1] ?? 0) } };
    }
    this.fail(`${at} is ${CLASS_NAMES[cls] ?? `array class ${cls}`}, which seg does not read`);
  }
}

/**
 * The variables of a level-5 MAT-file by name. `file` names it in the
 * sentence that refuses a file or an array this reader does not read.
 */
export function readMat(bytes: Uint8Array, file = 'the MAT-file'): Map<string, MatValue> {
  if (bytes.length < 128) throw new InputError(`${file}: not a MATLAB 5 MAT-file (${bytes.length} bytes, shorter than its 128-byte header).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  const order = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (order !== 'IM' && order !== 'MI') throw new InputError(`${file}: not a MATLAB 5 MAT-file (no byte-order mark in its header; a v4 file, or another format).`);
  const little = order === 'IM';
  const version = view.getUint16(124, little);
  if (version === 0x0200 || /MATLAB 7\.3/.test(head)) throw new InputError(`${file}: a MATLAB 7.3 (HDF5) MAT-file, which seg does not read; save it with -v7 or -v6.`);
  if (version !== 0x0100) throw new InputError(`${file}: MAT-file version 0x${version.toString(16)}, not 0x0100 (MATLAB 5).`);
  const r = new Reader(file, little);
  const out = new Map<string, MatValue>();
  const body = new DataView(bytes.buffer, bytes.byteOffset + 128, bytes.byteLength - 128);
  for (let at = 0, k = 1; at < body.byteLength; k++) {
    const { el, next } = r.element(body, at);
    at = next;
    let matrix = el;
    if (el.type === MI.COMPRESSED) {
      const compressed = new Uint8Array(el.data.buffer, el.data.byteOffset, el.data.byteLength);
      const plain = (() => {
        try {
          return inflateSync(compressed);
        } catch (err) {
          return r.fail(`variable ${k}'s compressed data does not inflate (${(err as Error).message})`);
        }
      })();
      matrix = r.element(new DataView(plain.buffer, plain.byteOffset, plain.byteLength), 0).el;
    }
    const { name, value } = r.matrix(matrix, `variable ${k}`);
    out.set(name, value);
  }
  return out;
}

/** A 2-D numeric array in row-major order (an image's layout): MATLAB stores columns first. */
export function rowMajor2d(v: MatValue, what = 'the array'): { rows: number; cols: number; data: Float64Array } {
  if (v.kind !== 'numeric' || v.dims.length !== 2) throw new InputError(`${what} is not a 2-D numeric array (${v.kind}, ${v.dims.join('x')}).`);
  const [rows, cols] = v.dims as [number, number];
  const data = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) data[r * cols + c] = v.real[c * rows + r]!;
  return { rows, cols, data };
}
