/**
 * The fully connected CRF of Krähenbühl & Koltun, "Efficient Inference in
 * Fully Connected CRFs with Gaussian Edge Potentials", NIPS 2011, with the
 * model and mean-field updates of densecrf v2 / pydensecrf (so outputs agree):
 *
 *   Q_0 = softmax(-U)
 *   Q_t+1 = softmax(-U - sum_k mu_k(K_k(Q_t)))
 *
 * where each kernel is normalised symmetrically, K(Q) = n * L(n * Q) with
 * n = 1 / sqrt(L(1)) and L the lattice Gaussian filter (own pixel included),
 * and the compatibility mu is Potts, mu(v) = -w v (so the Potts update adds
 * w K(Q): neighbours with similar features pull towards the same label), or
 * a C x C matrix M, mu(v) = M v with M symmetrised as densecrf does.
 * Layout: every per-pixel array is pixel-major (HWC), like our softmax output.
 */
import { bilateralFeatures, positionFeatures } from './features.js';
import { PermutohedralLattice } from './permutohedral.js';
import { sharedFloat32 } from './filter-threads.js';

/** Potts weight w, or a labels x labels compatibility matrix (row-major or nested). */
export type Compatibility = number | ArrayLike<number> | number[][];

interface Pairwise {
  lattice: PermutohedralLattice;
  /** 1 / sqrt(L(1)) per pixel. */
  norm: Float32Array;
  /** Potts weight, or null for a matrix. */
  potts: number | null;
  matrix: Float32Array | null;
}

export interface CrfResult {
  /** Marginals, H x W x labels. */
  Q: Float32Array;
  /** MAP labels (argmax of Q; the first on ties). */
  labels: Uint8Array | Uint16Array;
}

export class DenseCRF {
  readonly pixels: number;
  private unary: Float32Array | null = null;
  private readonly pairwise: Pairwise[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    readonly labels: number,
  ) {
    for (const [name, v] of [['width', width], ['height', height], ['labels', labels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`DenseCRF: ${name} must be a positive integer (got ${v}).`);
    }
    this.pixels = width * height;
  }

  private checkPerPixel(what: string, values: ArrayLike<number>): void {
    const want = this.pixels * this.labels;
    if (values.length !== want) {
      throw new Error(`${what} hold ${values.length} values, but a ${this.width}x${this.height} image with ${this.labels} labels needs ${want} (H x W x labels).`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        const p = Math.floor(i / this.labels);
        throw new Error(`${what} are not finite (${values[i]}) at pixel x=${p % this.width}, y=${Math.floor(p / this.width)}, label ${i % this.labels}.`);
      }
    }
  }

  /** Unary energies U (H x W x labels), e.g. -log p. */
  setUnaryEnergy(energy: ArrayLike<number>): this {
    this.checkPerPixel('Unary energies', energy);
    this.unary = Float32Array.from(energy);
    return this;
  }

  /** U = -ln(clip(p, 1e-5, 1)), as pydensecrf.utils.unary_from_softmax. */
  setUnaryFromProbabilities(probs: ArrayLike<number>, clip = 1e-5): this {
    this.checkPerPixel('Probabilities', probs);
    const u = new Float32Array(probs.length);
    for (let i = 0; i < u.length; i++) {
      const p = probs[i]!;
      if (p < 0 || p > 1 + 1e-3) throw new Error(`Probabilities must lie in [0, 1] (got ${p} at index ${i}).`);
      u[i] = -Math.log(Math.min(1, Math.max(clip, p)));
    }
    this.unary = u;
    return this;
  }

  /** A kernel on arbitrary features (pixel-major, `dims` per pixel, already divided by their bandwidths). */
  addPairwiseEnergy(features: Float32Array, dims: number, compat: Compatibility): this {
    const lattice = new PermutohedralLattice(features, dims, this.pixels);
    const norm = lattice.filter(new Float32Array(this.pixels).fill(1), 1);
    for (let i = 0; i < norm.length; i++) norm[i] = 1 / Math.sqrt(norm[i]! + 1e-20);
    this.pairwise.push({ lattice, norm, ...this.compatibility(compat) });
    return this;
  }

  /** Smoothness kernel on position: weight w = compat, bandwidth theta_gamma in pixels. */
  addPairwiseGaussian(o: { theta: number; compat: Compatibility }): this {
    if (!(o.theta > 0)) throw new Error(`Gaussian kernel: theta must be positive (got ${o.theta}).`);
    return this.addPairwiseEnergy(positionFeatures(this.width, this.height, o.theta), 2, o.compat);
  }

  /**
   * Appearance kernel on position and colour: theta_alpha in pixels,
   * theta_beta in 0..255 colour units; `image` is H x W x channels (1 or 3), 0..255.
   */
  addPairwiseBilateral(o: { thetaAlpha: number; thetaBeta: number; image: ArrayLike<number>; channels?: 1 | 3; compat: Compatibility }): this {
    const channels = o.channels ?? 3;
    if (!(o.thetaAlpha > 0) || !(o.thetaBeta > 0)) throw new Error(`Bilateral kernel: theta_alpha and theta_beta must be positive (got ${o.thetaAlpha}, ${o.thetaBeta}).`);
    if (o.image.length !== this.pixels * channels) {
      throw new Error(`The image holds ${o.image.length} values, but the CRF is ${this.width}x${this.height} with ${channels} channel(s): ${this.pixels * channels} needed.`);
    }
    return this.addPairwiseEnergy(bilateralFeatures(o.image, this.width, this.height, channels, o.thetaAlpha, o.thetaBeta), 5, o.compat);
  }

  private compatibility(c: Compatibility): { potts: number | null; matrix: Float32Array | null } {
    if (typeof c === 'number') {
      if (!Number.isFinite(c)) throw new Error(`A Potts weight must be finite (got ${c}).`);
      return { potts: c, matrix: null };
    }
    const L = this.labels;
    const flat = Array.isArray(c) && Array.isArray(c[0]) ? (c as number[][]).flat() : Array.from(c as ArrayLike<number>);
    if (flat.length !== L * L || flat.some((v) => !Number.isFinite(v))) {
      throw new Error(`A compatibility matrix must hold ${L}x${L} finite values (got ${flat.length}).`);
    }
    // densecrf symmetrises the matrix: 0.5 (M + M^T).
    const m = new Float32Array(L * L);
    for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) m[a * L + b] = 0.5 * (flat[a * L + b]! + flat[b * L + a]!);
    return { potts: null, matrix: m };
  }

  /** Adds mu(K(Q)) of one kernel, scaled by `sign`, into `acc`. */
  private applyPairwise(pw: Pairwise, Q: Float32Array, acc: Float32Array, sign: number, scratch: Float32Array): void {
    const L = this.labels;
    const n = this.pixels;
    const norm = pw.norm;
    for (let p = 0; p < n; p++) {
      const s = norm[p]!;
      for (let l = 0; l < L; l++) scratch[p * L + l] = Q[p * L + l]! * s;
    }
    pw.lattice.filter(scratch, L, scratch);
    if (pw.potts !== null) {
      // mu(v) = -w v
      const w = -pw.potts * sign;
      for (let p = 0; p < n; p++) {
        const s = norm[p]! * w;
        for (let l = 0; l < L; l++) acc[p * L + l] += s * scratch[p * L + l]!;
      }
    } else {
      const m = pw.matrix!;
      const v = new Float32Array(L);
      for (let p = 0; p < n; p++) {
        const s = norm[p]! * sign;
        for (let l = 0; l < L; l++) v[l] = scratch[p * L + l]! * s;
        for (let a = 0; a < L; a++) {
          let t = 0;
          for (let b = 0; b < L; b++) t += m[a * L + b]! * v[b]!;
          acc[p * L + a] += t;
        }
      }
    }
  }

  private softmaxInto(energyNeg: Float32Array, Q: Float32Array): void {
    const L = this.labels;
    for (let p = 0; p < this.pixels; p++) {
      const o = p * L;
      let mx = -Infinity;
      for (let l = 0; l < L; l++) if (energyNeg[o + l]! > mx) mx = energyNeg[o + l]!;
      let sum = 0;
      for (let l = 0; l < L; l++) {
        const e = Math.exp(energyNeg[o + l]! - mx);
        Q[o + l] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let l = 0; l < L; l++) Q[o + l] *= inv;
    }
  }

  /** Mean-field inference for `iterations` steps (densecrf's DenseCRF::inference). */
  inference(iterations: number, onIteration?: (iteration: number, Q: Float32Array) => void): CrfResult {
    if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`Iterations must be a non-negative integer (got ${iterations}).`);
    const size = this.pixels * this.labels;
    const negU = new Float32Array(size);
    if (this.unary) for (let i = 0; i < size; i++) negU[i] = -this.unary[i]!;
    const Q = new Float32Array(size);
    const tmp = new Float32Array(size);
    // Filtered in place by the lattice, on shared memory when it uses worker threads.
    const scratch = sharedFloat32(size);
    this.softmaxInto(negU, Q);
    for (let it = 0; it < iterations; it++) {
      tmp.set(negU);
      for (const pw of this.pairwise) this.applyPairwise(pw, Q, tmp, -1, scratch);
      this.softmaxInto(tmp, Q);
      onIteration?.(it + 1, Q);
    }
    return { Q, labels: this.map(Q) };
  }

  /** Argmax per pixel (first label on ties). */
  map(Q: Float32Array): Uint8Array | Uint16Array {
    const L = this.labels;
    const out = L <= 256 ? new Uint8Array(this.pixels) : new Uint16Array(this.pixels);
    for (let p = 0; p < this.pixels; p++) {
      let best = 0;
      for (let l = 1; l < L; l++) if (Q[p * L + l]! > Q[p * L + best]!) best = l;
      out[p] = best;
    }
    return out;
  }

  /**
   * KL(Q || P) up to the constant log Z (densecrf's klDivergence): the
   * mean-field free energy sum Q ln Q + sum U Q + sum Q mu(K(Q)). It should
   * fall over iterations; useful for monitoring.
   */
  klDivergence(Q: Float32Array): number {
    this.checkPerPixel('Marginals', Q);
    let kl = 0;
    for (let i = 0; i < Q.length; i++) kl += Q[i]! * Math.log(Math.max(Q[i]!, 1e-20));
    if (this.unary) for (let i = 0; i < Q.length; i++) kl += this.unary[i]! * Q[i]!;
    const acc = new Float32Array(Q.length);
    const scratch = sharedFloat32(Q.length);
    for (const pw of this.pairwise) this.applyPairwise(pw, Q, acc, 1, scratch);
    for (let i = 0; i < Q.length; i++) kl += Q[i]! * acc[i]!;
    return kl;
  }
}
