/**
 * The lattice filter's splat, blur and slice for value channels [k0, k1).
 *
 * Why generated code: the channel loops are short (21 labels for VOC) and
 * run hundreds of millions of times per CRF; V8 runs them 1.7x faster when
 * they are unrolled for the exact channel count, so the kernel is generated
 * per count (at most 32 channels per call; more are done in chunks) and
 * cached. The generator is self-contained (no imports, no closures) so the
 * filter worker rebuilds the same kernels from its source text. Channels are
 * independent in all three steps, so threads split them without locks; each
 * thread's lattice values are its own arrays, (points + 1) x channels.
 */
export type ChannelKernel = (
  offsets: Int32Array,
  weights: Float32Array,
  prev: Int32Array,
  next: Int32Array,
  pixels: number,
  dims: number,
  points: number,
  input: Float32Array,
  valuesA: Float32Array,
  valuesB: Float32Array,
  out: Float32Array,
  vs: number,
  k0: number,
) => void;

/** The most channels one generated kernel handles. */
export const MAX_CHUNK = 32;

export function compileKernel(ks: number): ChannelKernel {
  const each = (f: (k: number) => string) => Array.from({ length: ks }, (_, k) => f(k)).join(' ');
  const src = `
  const d1 = dims + 1;
  let values = valuesA;
  let other = valuesB;
  values.fill(0, 0, (points + 1) * ${ks});
  other.fill(0, 0, ${ks});
  for (let p = 0; p < pixels; p++) {
    const src = p * vs + k0;
    ${each((k) => `const x${k} = input[src + ${k}];`)}
    for (let r = 0; r < d1; r++) {
      const o = offsets[p * d1 + r] * ${ks};
      const w = weights[p * d1 + r];
      ${each((k) => `values[o + ${k}] += w * x${k};`)}
    }
  }
  for (let j = 0; j < d1; j++) {
    const base = j * points;
    for (let i = 0; i < points; i++) {
      const o = (i + 1) * ${ks};
      const a = prev[base + i] * ${ks};
      const b = next[base + i] * ${ks};
      ${each((k) => `other[o + ${k}] = values[o + ${k}] + 0.5 * (values[a + ${k}] + values[b + ${k}]);`)}
    }
    const t = values;
    values = other;
    other = t;
  }
  const alpha = 1 / (1 + Math.pow(2, -dims));
  for (let p = 0; p < pixels; p++) {
    ${each((k) => `let y${k} = 0;`)}
    for (let r = 0; r < d1; r++) {
      const o = offsets[p * d1 + r] * ${ks};
      const w = weights[p * d1 + r] * alpha;
      ${each((k) => `y${k} += w * values[o + ${k}];`)}
    }
    const dst = p * vs + k0;
    ${each((k) => `out[dst + ${k}] = y${k};`)}
  }`;
  return new Function('offsets', 'weights', 'prev', 'next', 'pixels', 'dims', 'points', 'input', 'valuesA', 'valuesB', 'out', 'vs', 'k0', src) as ChannelKernel;
}
