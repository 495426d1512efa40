/**
 * The engine's convolution and pooling kernels and gradients (wasm: our
 * training kernels; tensorflow: TF's ops with explicit padding and native
 * dilated backprops) and the dilated-convolution compositions, checked
 * against tfjs's cpu backend. A dilated convolution equals an undilated one
 * whose filter has (d - 1) zeros between taps, so the cpu backend's native
 * (undilated) backprop kernels give an independent reference for every case.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf, conv2dFilterGrad, conv2dInputGrad, convInfo } from '../src/index.js';
import { setIm2colBandBytes } from '../src/engine/tensorflow.js';
import { onBackend, relErr, seeded, engineName } from './helpers.js';

const TOL = 1e-4;

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  s: number;
  d: number;
  pad: Pad;
  depthwise?: boolean;
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
const padName = (p: Pad) => (Array.isArray(p) ? `explicit ${p[1]!.join('/')},${p[2]!.join('/')}` : typeof p === 'number' ? `pad ${p}` : p);

function name(c: Case) {
  const kind = c.depthwise ? `depthwise x${c.co / c.ci}` : 'conv';
  return `${kind} ${c.k[0]}x${c.k[1]} s${c.s} d${c.d} ${padName(c.pad)} in ${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co}`;
}

function filterShape(c: Case): [number, number, number, number] {
  return c.depthwise ? [c.k[0], c.k[1], c.ci, c.co / c.ci] : [c.k[0], c.k[1], c.ci, c.co];
}

/** The filter with (d - 1) zeros between taps. */
function dilateFilter(w: Float32Array, shape: number[], d: number): { data: Float32Array; shape: [number, number, number, number] } {
  const [kh, kw, a, b] = shape as [number, number, number, number];
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(eh * ew * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < a * b; k++) out[((i * d) * ew + j * d) * a * b + k] = w[(i * kw + j) * a * b + k]!;
  return { data: out, shape: [eh, ew, a, b] };
}

function undilateGrad(g: Float32Array, shape: number[], d: number): Float32Array {
  const [kh, kw, a, b] = shape as [number, number, number, number];
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(kh * kw * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < a * b; k++) out[(i * kw + j) * a * b + k] = g[((i * d) * ew + j * d) * a * b + k]!;
  return out;
}

/** Gradients of sum(conv(x, w) * r) with respect to x and w. */
function grads(c: Case, x0: Float32Array, w0: Float32Array, wShape: [number, number, number, number], dil: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(x0, [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(w0, wShape);
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      c.depthwise ? tf.depthwiseConv2d(a, b, c.s, c.pad, 'NHWC', dil) : tf.conv2d(a, b, c.s, c.pad, 'NHWC', dil);
    const yShape = conv(x, w).shape;
    const r = tf.tensor(seeded(yShape.reduce((p, q) => p * q, 1), 99), yShape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    return { y: conv(x, w).dataSync(), dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

async function check(c: Case) {
  const wShape = filterShape(c);
  const x0 = seeded(c.n * c.h * c.w * c.ci, 1);
  const w0 = seeded(wShape.reduce((p, q) => p * q, 1), 2);
  const expanded = dilateFilter(w0, wShape, c.d);
  const ref = await onBackend('cpu', () => grads(c, x0, expanded.data, expanded.shape, 1));
  const got = await onBackend(engineName(), () => grads(c, x0, w0, wShape, c.d));
  expect(relErr(got.y, ref.y)).toBeLessThan(TOL);
  expect(relErr(got.dx, ref.dx)).toBeLessThan(TOL);
  expect(relErr(got.dw, undilateGrad(ref.dw, wShape, c.d))).toBeLessThan(TOL);
}

const cases: Case[] = [];
for (const pad of ['same', 'valid'] as const) {
  for (const n of [1, 3]) {
    // stride 1 at every dilation DeepLab uses; stride 2 (tfjs forbids stride and dilation together)
    for (const d of [1, 2, 4, 12]) {
      const big = d === 12 && pad === 'valid';
      cases.push({ n, h: big ? 27 : 13, w: big ? 29 : 11, ci: 3, co: 5, k: [3, 3], s: 1, d, pad });
    }
    cases.push({ n, h: 13, w: 11, ci: 6, co: 7, k: [3, 3], s: 2, d: 1, pad });
    cases.push({ n, h: 15, w: 9, ci: 5, co: 3, k: [7, 7], s: 2, d: 1, pad });
    cases.push({ n, h: 9, w: 7, ci: 7, co: 6, k: [1, 1], s: 2, d: 1, pad });
    cases.push({ n, h: 10, w: 9, ci: 5, co: 6, k: [2, 4], s: 1, d: 1, pad });
  }
  for (const d of [1, 2, 4, 12]) {
    const big = d === 12 && pad === 'valid';
    cases.push({ n: 3, h: big ? 27 : 11, w: big ? 27 : 13, ci: 6, co: 6, k: [3, 3], s: 1, d, pad, depthwise: true });
  }
  cases.push({ n: 1, h: 11, w: 13, ci: 3, co: 6, k: [3, 3], s: 1, d: 2, pad, depthwise: true });
  cases.push({ n: 3, h: 13, w: 11, ci: 5, co: 5, k: [3, 3], s: 2, d: 1, pad, depthwise: true });
  cases.push({ n: 1, h: 13, w: 11, ci: 3, co: 6, k: [5, 5], s: 2, d: 1, pad, depthwise: true });
}
// PyTorch-style numeric pads (ResNet's 7x7/2 pad 3, DeepLab's pad = dilation) and
// asymmetric explicit pads: tfjs-node's own kernels refuse both.
const asym: tf.backend_util.ExplicitPadding = [[0, 0], [2, 1], [0, 3], [0, 0]];
for (const n of [1, 2]) {
  cases.push({ n, h: 15, w: 13, ci: 3, co: 4, k: [7, 7], s: 2, d: 1, pad: 3 });
  cases.push({ n, h: 13, w: 11, ci: 4, co: 5, k: [3, 3], s: 1, d: 1, pad: 1 });
  cases.push({ n, h: 13, w: 11, ci: 4, co: 5, k: [3, 3], s: 2, d: 1, pad: 1 });
  cases.push({ n, h: 29, w: 27, ci: 3, co: 4, k: [3, 3], s: 1, d: 12, pad: 12 });
  cases.push({ n, h: 14, w: 12, ci: 3, co: 5, k: [3, 3], s: 1, d: 2, pad: 2 });
  cases.push({ n, h: 12, w: 11, ci: 3, co: 4, k: [3, 3], s: 2, d: 1, pad: asym });
  cases.push({ n, h: 12, w: 11, ci: 3, co: 4, k: [3, 3], s: 1, d: 2, pad: asym });
  cases.push({ n, h: 12, w: 11, ci: 4, co: 4, k: [3, 3], s: 1, d: 4, pad: 4, depthwise: true });
  cases.push({ n, h: 12, w: 11, ci: 4, co: 8, k: [3, 3], s: 2, d: 1, pad: 1, depthwise: true });
  cases.push({ n, h: 12, w: 11, ci: 4, co: 4, k: [3, 3], s: 1, d: 2, pad: asym, depthwise: true });
}

// 1x1 convolutions run as matrix products on tensorflow (engine/tensorflow.ts): strides whose
// last window ends before the border, and ResNet-50's 256->1024 at 6x8, whose oneDNN 1x1
// convolution divided by zero (SIGFPE) on a VM that reports no cache sizes.
cases.push({ n: 2, h: 10, w: 8, ci: 4, co: 6, k: [1, 1], s: 3, d: 1, pad: 0 });
cases.push({ n: 1, h: 7, w: 9, ci: 5, co: 3, k: [1, 1], s: 1, d: 1, pad: 0 });
cases.push({ n: 2, h: 6, w: 8, ci: 256, co: 1024, k: [1, 1], s: 1, d: 1, pad: 0 });
cases.push({ n: 2, h: 11, w: 15, ci: 256, co: 1024, k: [1, 1], s: 2, d: 1, pad: 0 });

describe('the engine\'s convolution gradients against the cpu backend', () => {
  beforeAll(async () => {
    await initEngine();
  });
  for (const c of cases) it(name(c), () => check(c));

  it('dilated depthwise input gradients are the same on every call (TensorFlow\'s explicit-pad depthwise kernel was not)', async () => {
    const c: Case = { n: 3, h: 11, w: 13, ci: 6, co: 6, k: [3, 3], s: 1, d: 4, pad: 'valid', depthwise: true };
    const wShape = filterShape(c);
    const x0 = seeded(c.n * c.h * c.w * c.ci, 1);
    const w0 = seeded(wShape.reduce((p, q) => p * q, 1), 2);
    const runs = await onBackend(engineName(), () => Array.from({ length: 8 }, () => Array.from(grads(c, x0, w0, wShape, c.d).dx)));
    for (const dx of runs.slice(1)) expect(dx).toEqual(runs[0]);
  });

  it('fused conv (bias + activation, the op tfjs-layers\' Conv2D runs) matches cpu, 1x1 256->1024 included', async () => {
    for (const [k, ci, co, act] of [[1, 256, 1024, 'relu'], [1, 8, 6, 'linear'], [3, 5, 4, 'relu']] as const) {
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(seeded(2 * 6 * 8 * ci, 11), [2, 6, 8, ci]);
          const w = tf.tensor4d(seeded(k * k * ci * co, 12), [k, k, ci, co]);
          const bias = tf.tensor1d(seeded(co, 13));
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation: act });
          const y = f(x, w, bias);
          const r = tf.tensor(seeded(y.size, 14), y.shape);
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), r)))([x, w, bias]);
          return [y.dataSync(), ...gs.map((g) => g.dataSync())];
        });
      const ref = await onBackend('cpu', run);
      const got = await onBackend(engineName(), run);
      got.forEach((g, i) => expect(relErr(g, ref[i]!), `${k}x${k} ${ci}->${co} output ${i}`).toBeLessThan(TOL));
    }
  });

  it('a convolution whose im2col copy passes the limit runs in bands of output rows on tensorflow (oneDNN hangs on SegNet-Basic\'s 7x7 at 270x360), with the same outputs and gradients as cpu', async () => {
    const banded: [string, Case, boolean][] = [
      ['7x7 same, SegNet-Basic\'s', { n: 2, h: 11, w: 9, ci: 3, co: 4, k: [7, 7], s: 1, d: 1, pad: 'same' }, false],
      ['3x3 stride 2 pad 1', { n: 1, h: 13, w: 10, ci: 4, co: 5, k: [3, 3], s: 2, d: 1, pad: 1 }, false],
      ['3x3 dilation 2 pad 2', { n: 1, h: 12, w: 7, ci: 3, co: 2, k: [3, 3], s: 1, d: 2, pad: 2 }, false],
      ['5x3 valid, stride 2, odd sizes', { n: 1, h: 15, w: 11, ci: 2, co: 3, k: [5, 3], s: 2, d: 1, pad: 'valid' }, false],
      ['explicit pads', { n: 1, h: 10, w: 9, ci: 3, co: 2, k: [3, 3], s: 1, d: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] }, false],
      ['fused, bias and relu', { n: 2, h: 11, w: 9, ci: 3, co: 4, k: [5, 5], s: 1, d: 1, pad: 'same' }, true],
    ];
    for (const [label, c, fused] of banded) {
      const wShape = filterShape(c);
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(seeded(c.n * c.h * c.w * c.ci, 21), [c.n, c.h, c.w, c.ci]);
          const w = tf.tensor4d(seeded(wShape.reduce((p, q) => p * q, 1), 22), wShape);
          const bias = tf.tensor1d(seeded(c.co, 23));
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            fused
              ? tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: c.s, pad: c.pad, dilations: c.d, bias, activation: 'relu' })
              : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d);
          const y = f(x, w);
          const r = tf.tensor(seeded(y.size, 24), y.shape);
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
          return [y.dataSync(), ...gs.map((g) => g.dataSync())];
        });
      const ref = await onBackend('cpu', run);
      // Three output rows of one image per band, so the last band is short.
      const outW = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], wShape, c.s, c.d, c.pad).outWidth;
      const previous = setIm2colBandBytes(3 * outW * c.k[0] * c.k[1] * c.ci * 4);
      try {
        const got = await onBackend(engineName(), run);
        got.forEach((g, i) => expect(relErr(g, ref[i]!), `${label}: ${['output', 'dx', 'dw'][i]}`).toBeLessThan(TOL));
        if (engineName() === 'tensorflow') {
          const kernels = (await tf.profile(async () => onBackend('tensorflow', run))).kernels.map((k) => k.name);
          expect(kernels, `${label}: the forward ran in bands`).toContain('Slice');
        }
      } finally {
        setIm2colBandBytes(previous);
      }
    }
  });

  it('max-pool gradients (2x2/2, 3x3/2 same, 3x3/1 same, 3x3/2 pad 1; all-negative windows and ties) match cpu', async () => {
    for (const [k, s, pad, h, w] of [
      [2, 2, 'valid', 7, 6],
      [3, 2, 'same', 9, 8],
      [3, 1, 'same', 6, 7],
      [3, 2, 'valid', 9, 9],
      // numeric pad: ResNet's stem as PyTorch writes it (3x3/2, pad 1)
      [3, 2, 1, 9, 8],
    ] as const) {
      // values in [-1, 0) so windows are all negative, rounded to create ties
      const x0 = seeded(2 * h * w * 3, 8).map((v) => Math.round(((v - 1) / 2) * 4) / 4);
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(x0, [2, h, w, 3]);
          const yShape = tf.maxPool(x, k, s, pad).shape;
          const r = tf.tensor4d(seeded(yShape.reduce((p, q) => p * q, 1), 9), yShape);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), r)))(x).dataSync();
        });
      const ref = await onBackend('cpu', run);
      const got = await onBackend(engineName(), run);
      expect(relErr(got, ref)).toBeLessThan(TOL);
    }
  });

  it('conv2dTranspose (forward Conv2DBackpropInput) matches cpu for U-Net/FCN upsampling shapes', async () => {
    for (const [k, s, pad, h] of [
      [2, 2, 'valid', 7],
      [4, 2, 'same', 9],
      [4, 2, 'valid', 5],
      [16, 8, 'same', 3],
      // large strides take the by-phase path: FCN's x32, kernels not a multiple of the stride, odd sizes
      [64, 32, 'same', 2],
      [10, 4, 'valid', 3],
      [7, 5, 'valid', 4],
      [8, 4, 'same', 5],
    ] as const) {
      const x0 = seeded(2 * h * h * 5, 3);
      const w0 = seeded(k * k * 3 * 5, 4);
      const outSize = pad === 'same' ? h * s : (h - 1) * s + k;
      const run = () =>
        tf.tidy(() =>
          tf.conv2dTranspose(tf.tensor4d(x0, [2, h, h, 5]), tf.tensor4d(w0, [k, k, 3, 5]), [2, outSize, outSize, 3], s, pad).dataSync(),
        );
      const ref = await onBackend('cpu', run);
      const got = await onBackend(engineName(), run);
      expect(relErr(got, ref)).toBeLessThan(TOL);
    }
  });

  it('the composite gradients also run on the cpu backend (the path tfjs-node takes for dilated convs)', async () => {
    const c: Case = { n: 2, h: 12, w: 10, ci: 4, co: 3, k: [3, 3], s: 1, d: 4, pad: 'same' };
    const wShape = filterShape(c);
    const x0 = seeded(c.n * c.h * c.w * c.ci, 5);
    const w0 = seeded(wShape.reduce((p, q) => p * q, 1), 6);
    const expanded = dilateFilter(w0, wShape, c.d);
    const ref = await onBackend('cpu', () => grads(c, x0, expanded.data, expanded.shape, 1));
    const got = await onBackend('cpu', () => grads(c, x0, w0, wShape, c.d));
    expect(relErr(got.dx, ref.dx)).toBeLessThan(TOL);
    expect(relErr(got.dw, undilateGrad(ref.dw, wShape, c.d))).toBeLessThan(TOL);
    // and the exported functions agree with tf.grads
    const direct = await onBackend('cpu', () =>
      tf.tidy(() => {
        const x = tf.tensor4d(x0, [c.n, c.h, c.w, c.ci]);
        const w = tf.tensor4d(w0, wShape);
        const yShape = tf.conv2d(x, w, 1, 'same', 'NHWC', c.d).shape;
        const r = tf.tensor4d(seeded(yShape.reduce((p, q) => p * q, 1), 99), yShape);
        const info = convInfo(x.shape, wShape, 1, 'same', c.d);
        return { dx: conv2dInputGrad(r, w, info).dataSync(), dw: conv2dFilterGrad(x, r, info).dataSync() };
      }),
    );
    expect(relErr(direct.dx, ref.dx)).toBeLessThan(TOL);
    expect(relErr(direct.dw, undilateGrad(ref.dw, wShape, c.d))).toBeLessThan(TOL);
  });
});
