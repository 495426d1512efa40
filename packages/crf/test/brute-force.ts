/**
 * O(N^2) references for the tests only: the exact Gaussian kernel
 * exp(-|f_i - f_j|^2 / 2) that the lattice approximates, and mean field
 * computed with it.
 */
export function bruteGaussian(features: Float32Array, dims: number, n: number, values: Float32Array, vs: number): Float32Array {
  const out = new Float32Array(n * vs);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let d2 = 0;
      for (let k = 0; k < dims; k++) d2 += (features[i * dims + k]! - features[j * dims + k]!) ** 2;
      const w = Math.exp(-d2 / 2);
      for (let k = 0; k < vs; k++) out[i * vs + k] += w * values[j * vs + k]!;
    }
  }
  return out;
}

export interface BruteKernel {
  features: Float32Array;
  dims: number;
  potts: number;
}

/** Mean field with exact kernels: Q = softmax(-U + sum_k w_k n_k G_k(n_k Q)), n_k = 1/sqrt(G_k(1)). */
export function bruteMeanField(unary: Float32Array, n: number, labels: number, kernels: BruteKernel[], iterations: number): Float32Array {
  const softmax = (e: Float32Array) => {
    const q = new Float32Array(e.length);
    for (let p = 0; p < n; p++) {
      let mx = -Infinity;
      for (let l = 0; l < labels; l++) mx = Math.max(mx, e[p * labels + l]!);
      let s = 0;
      for (let l = 0; l < labels; l++) s += q[p * labels + l] = Math.exp(e[p * labels + l]! - mx);
      for (let l = 0; l < labels; l++) q[p * labels + l]! /= s;
    }
    return q;
  };
  const norms = kernels.map((k) => bruteGaussian(k.features, k.dims, n, new Float32Array(n).fill(1), 1).map((v) => 1 / Math.sqrt(v)));
  let Q = softmax(unary.map((u) => -u));
  for (let it = 0; it < iterations; it++) {
    const e = unary.map((u) => -u);
    kernels.forEach((k, idx) => {
      const norm = norms[idx]!;
      const scaled = Q.map((q, i) => q * norm[Math.floor(i / labels)]!);
      const f = bruteGaussian(k.features, k.dims, n, scaled, labels);
      for (let i = 0; i < e.length; i++) e[i]! += k.potts * norm[Math.floor(i / labels)]! * f[i]!;
    });
    Q = softmax(e);
  }
  return Q;
}
