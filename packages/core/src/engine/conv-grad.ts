/**
 * Gradients of 2-D convolutions composed from forward primitives that every
 * backend runs fast (convolution, matMul, transpose, pad, slice).
 *
 * Why: tfjs's wasm backend has no Conv2DBackpropFilter and no depthwise
 * backprop kernels, its Conv2DBackpropInput is a scalar loop, and tfjs-core
 * refuses gradients of dilated convolutions on every backend. Expressed this
 * way, the heavy work lands in XNNPACK's convolution and GEMM on wasm, and in
 * the native kernels elsewhere.
 *
 * Shapes (NHWC): x [N, H, W, Ci]; filter [KH, KW, Ci, Co] (depthwise:
 * [KH, KW, C, M]); dy [N, OH, OW, Co].
 */
import { tf } from './tf.js';
import { flipSpatial, padOrCrop4d, zeroInsert } from './padding.js';

export type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/**
 * Pads of the stride-1 "full" convolution of the zero-inserted dy that yields
 * dx. upH/upW are the sizes of zeroInsert's output (its trailing zeros
 * simply shrink the bottom/right pad).
 */
function transposedPads(info: Conv2DInfo, upH: number, upW: number) {
  const effKH = info.dilationHeight * (info.filterHeight - 1);
  const effKW = info.dilationWidth * (info.filterWidth - 1);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  return {
    top: effKH - top,
    bottom: info.inHeight - upH + top,
    left: effKW - left,
    right: info.inWidth - upW + left,
  };
}

/** Explicit padding argument when all pads are non-negative, otherwise null. */
function explicitPadding(p: { top: number; bottom: number; left: number; right: number }) {
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) return null;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ] as [[0, 0], [number, number], [number, number], [0, 0]];
}

/**
 * The input padded (or cropped) so that tap (a, b) of the filter reads rows
 * a*dh + i*sh, i < OH, and columns b*dw + j*sw, j < OW, all in bounds.
 */
export function tapReadyInput(x: tf.Tensor4D, info: Conv2DInfo, padValue = 0): tf.Tensor4D {
  const spanH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const spanW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  const { top, left } = info.padInfo;
  return padOrCrop4d(x, top, spanH - info.inHeight - top, left, spanW - info.inWidth - left, padValue);
}

/** Slice of an NHWC tensor that filter tap (a, b) sees, strided like the output. */
export function tapSliceNHWC(t: tf.Tensor4D, a: number, b: number, info: Conv2DInfo): tf.Tensor4D {
  const [n, , , c] = t.shape;
  const h0 = a * info.dilationHeight;
  const w0 = b * info.dilationWidth;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  if (sh === 1 && sw === 1) return tf.slice(t, [0, h0, w0, 0], [n, info.outHeight, info.outWidth, c]);
  return tf.stridedSlice(
    t,
    [0, h0, w0, 0],
    [n, h0 + (info.outHeight - 1) * sh + 1, w0 + (info.outWidth - 1) * sw + 1, c],
    [1, sh, sw, 1],
  ) as tf.Tensor4D;
}

/**
 * dL/dx of a convolution: a stride-1 convolution of the zero-inserted dy with
 * the spatially flipped, in/out-swapped filter, at the forward dilation.
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  const undilated = info.dilationHeight === 1 && info.dilationWidth === 1;
  if (undilated && info.strideHeight >= 4 && info.strideWidth >= 4 && info.strideHeight === info.strideWidth) return conv2dInputGradByPhases(dy, filter, info);
  return tf.tidy(() => {
    let g = zeroInsert(dy, info.strideHeight, info.strideWidth);
    const pads = transposedPads(info, g.shape[1], g.shape[2]);
    const flipped = flipSpatial(tf.transpose(filter, [0, 1, 3, 2]) as tf.Tensor4D);
    const dil: [number, number] = [info.dilationHeight, info.dilationWidth];
    const explicit = explicitPadding(pads);
    if (explicit) return tf.conv2d(g, flipped, 1, explicit, 'NHWC', dil);
    g = padOrCrop4d(g, pads.top, pads.bottom, pads.left, pads.right);
    return tf.conv2d(g, flipped, 1, 'valid', 'NHWC', dil);
  });
}

/** Where each element of the phase-combined filter comes from in the flattened filter (kh*kw*ci*co: the zero past it); by shape, cached. */
const phaseTapCache = new Map<string, Int32Array>();
function phaseTaps(kh: number, kw: number, ci: number, co: number, s: number): tf.Tensor1D {
  const key = `${kh},${kw},${ci},${co},${s}`;
  let idx = phaseTapCache.get(key);
  if (!idx) {
    const th = Math.ceil(kh / s);
    const tw = Math.ceil(kw / s);
    idx = new Int32Array(th * tw * co * s * s * ci).fill(kh * kw * ci * co);
    for (let u = 0; u < th; u++) {
      for (let v = 0; v < tw; v++) {
        for (let rh = 0; rh < s; rh++) {
          const a = rh + s * (th - 1 - u);
          if (a >= kh) continue;
          for (let rw = 0; rw < s; rw++) {
            const b = rw + s * (tw - 1 - v);
            if (b >= kw) continue;
            for (let c = 0; c < ci; c++) {
              for (let o = 0; o < co; o++) idx[((u * tw + v) * co + o) * s * s * ci + (rh * s + rw) * ci + c] = ((a * kw + b) * ci + c) * co + o;
            }
          }
        }
      }
    }
    phaseTapCache.set(key, idx);
  }
  return tf.tensor1d(idx, 'int32');
}

/**
 * dL/dx for large strides (FCN's x8/x16/x32 upsampling), by output phase
 * instead of zero insertion. With q = p + pad and s the stride, dx[p] only
 * meets taps a = (q mod s) + s t, so
 *   dx[p] = sum_t dy[floor(q/s) - t] w[(q mod s) + s t],   t < T = ceil(K/s):
 * for every phase a stride-1 correlation of dy with T x T taps. All s² phases
 * run as one convolution whose output channels are (phase, Ci), and
 * depthToSpace interleaves them; a final slice removes the padding rows.
 * Zero insertion would multiply (s² - 1)/s² of its taps by zeros: for
 * kernel 64 / stride 32 that is ~1000x the work.
 */
function conv2dInputGradByPhases(dy: tf.Tensor4D, filter: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const s = info.strideHeight;
    const [kh, kw, ci, co] = filter.shape;
    const th = Math.ceil(kh / s);
    const tw = Math.ceil(kw / s);
    // Combined filter [u, v, Co, (rh*s + rw)*Ci + c] = w[rh + s (T-1-u), rw + s (T-1-v), c, o]
    // (zero past the kernel): correlation tap u reads dy[m - (T-1) + u]; channel order is depthToSpace's.
    // A gather from the flattened filter (plus one zero), so it stays on the engine's device: no readback.
    const flat = tf.concat([tf.reshape(filter, [-1]), tf.zeros([1])]);
    const w = tf.reshape(tf.gather(flat, phaseTaps(kh, kw, ci, co, s)), [th, tw, co, s * s * ci]) as tf.Tensor4D;
    const { top, left } = info.padInfo;
    const mh = Math.ceil((info.inHeight + top) / s);
    const mw = Math.ceil((info.inWidth + left) / s);
    const g = padOrCrop4d(dy, th - 1, Math.max(0, mh - dy.shape[1]), tw - 1, Math.max(0, mw - dy.shape[2]));
    let z = tf.conv2d(g, w, 1, 'valid');
    z = tf.slice(z, [0, 0, 0, 0], [z.shape[0], mh, mw, z.shape[3]]);
    const q = tf.depthToSpace(z, s, 'NHWC');
    return tf.slice(q, [0, top, left, 0], [q.shape[0], info.inHeight, info.inWidth, ci]);
  });
}

/**
 * dL/dfilter of a convolution, one GEMM per filter tap and no window copies.
 *
 * With x padded to Hp x Wp and flattened to rows q = (n, h, w), tap (a, b)
 * reads row q + off(a, b), off = a*dh*Wp + b*dw, for the output pixel whose
 * dy sits at row q of a "canvas": dy spread to stride s on an Hp x Wp grid,
 * zeros elsewhere (the zeros also cancel the rows that wrap around an image
 * edge). Shifting the canvas by off instead of slicing x gives
 *   dW[a, b]^T = shift(canvas^T, off) @ x_flat        [Co, L] @ [L, Ci]
 * where x_flat is the same matrix for every tap, so XNNPACK packs it once.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = info.inChannels;
    const co = info.outChannels;
    const xp = tapReadyInput(x, info);
    const [n, hp, wp] = xp.shape;
    const rows = n * hp * wp;
    const offset = (a: number, b: number) => a * info.dilationHeight * wp + b * info.dilationWidth;
    const maxOff = offset(info.filterHeight - 1, info.filterWidth - 1);
    const xFlat = tf.pad(tf.reshape(xp, [rows, ci]), [
      [0, maxOff],
      [0, 0],
    ]) as tf.Tensor2D;
    const spread = zeroInsert(dy, info.strideHeight, info.strideWidth);
    // NHWC pad/crop to the Hp x Wp grid, then channels first.
    const placed = padOrCrop4d(spread, 0, hp - spread.shape[1], 0, wp - spread.shape[2]);
    const canvas = tf.reshape(tf.transpose(placed, [3, 0, 1, 2]), [co, rows]) as tf.Tensor2D;
    const taps: tf.Tensor2D[] = [];
    for (let a = 0; a < info.filterHeight; a++) {
      for (let b = 0; b < info.filterWidth; b++) {
        const off = offset(a, b);
        const shifted = tf.pad(canvas, [
          [0, 0],
          [off, maxOff - off],
        ]) as tf.Tensor2D;
        taps.push(tf.matMul(shifted, xFlat));
        shifted.dispose();
      }
    }
    const stacked = tf.reshape(tf.stack(taps), [info.filterHeight, info.filterWidth, co, ci]);
    return tf.transpose(stacked, [0, 1, 3, 2]) as tf.Tensor4D;
  });
}

/** dL/dx of a depthwise convolution: the depthwise analogue of conv2dInputGrad. */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, mult] = filter.shape;
    let g = zeroInsert(dy, info.strideHeight, info.strideWidth);
    const pads = transposedPads(info, g.shape[1], g.shape[2]);
    // Each of the C*M output channels convolves back onto its own input channel.
    const flipped = tf.reshape(flipSpatial(filter), [kh, kw, c * mult, 1]) as tf.Tensor4D;
    const dil: [number, number] = [info.dilationHeight, info.dilationWidth];
    // Dilated, the input is padded here and the convolution is VALID: TensorFlow's depthwise
    // kernel with explicit pads and dilations gave different values from call to call on a
    // 2-core AMD EPYC VM (70 of 100 calls off, 3x11x13x6 at rate 4).
    const dilated = dil[0] > 1 || dil[1] > 1;
    const explicit = dilated ? null : explicitPadding(pads);
    if (!explicit) g = padOrCrop4d(g, pads.top, pads.bottom, pads.left, pads.right);
    const perOutput = tf.depthwiseConv2d(g, flipped, 1, explicit ?? 'valid', 'NHWC', dil);
    if (mult === 1) return perOutput;
    const [n, h, w] = perOutput.shape;
    return tf.sum(tf.reshape(perOutput, [n, h, w, c, mult]), 4) as tf.Tensor4D;
  });
}

/** dL/dfilter of a depthwise convolution: per tap, sum over N, OH, OW of x-window * dy. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, mult] = filterShape;
    const xp = tapReadyInput(x, info);
    const dy5 = tf.reshape(dy, [info.batchSize, info.outHeight, info.outWidth, c, mult]);
    const taps: tf.Tensor[] = [];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const window = tapSliceNHWC(xp, a, b, info);
        taps.push(tf.sum(tf.mul(tf.expandDims(window, 4), dy5), [0, 1, 2]));
        window.dispose();
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, mult]) as tf.Tensor4D;
  });
}

export function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  depthwise = false,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
  );
}
