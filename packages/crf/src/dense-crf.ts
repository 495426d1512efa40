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
 * The iterations run in WebAssembly (wasm-kernels.ts), with n folded into
 * the lattice's splat and slice weights.
 */
import { bilateralFeatures, positionFeatures } from './features.js';
import { PermutohedralLattice } from './permutohedral.js';
import { filterInto, laneStride, latticeCounts, latticeIntoArena, WasmArena, type LatticeInArena } from './wasm-kernels.js';

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

/** The arrays of a mean-field run, as addresses in its WebAssembly arena. */
interface Workspace {
  arena: WasmArena;
  /** Labels rounded up to a multiple of 4: the per-pixel stride. */
  S: number;
  kernels: { lattice: LatticeInArena; potts: number | null; matrix: number }[];
  valuesA: number;
  valuesB: number;
  /** Filtered values before a compatibility matrix is applied (0 when every kernel is Potts). */
  scratch: number;
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
    const want = this.pixels * this.labels;
    if (probs.length !== want) this.checkPerPixel('Probabilities', probs);
    const u = new Float32Array(want);
    // One pass: the checks run only when a value is out of range.
    for (let i = 0; i < want; i++) {
      const p = probs[i]!;
      if (!(p >= 0 && p <= 1 + 1e-3)) {
        this.checkPerPixel('Probabilities', probs);
        throw new Error(`Probabilities must lie in [0, 1] (got ${p} at index ${i}).`);
      }
      u[i] = -Math.log(p > clip ? (p < 1 ? p : 1) : clip);
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

  /** An arena holding the kernels' lattices and `perPixel` more S-strided arrays. */
  private workspace(perPixel: number): { ws: Workspace; arrays: number[] } {
    const n = this.pixels;
    const L = this.labels;
    const S = laneStride(L);
    const anyMatrix = this.pairwise.some((pw) => pw.matrix);
    const maxPoints = Math.max(0, ...this.pairwise.map((pw) => pw.lattice.points));
    const counts = [
      ...this.pairwise.flatMap((pw) => [...latticeCounts(pw.lattice.arrays()), pw.matrix ? L * L : 0]),
      (maxPoints + 1) * S,
      (maxPoints + 1) * S,
      anyMatrix ? n * S : 0,
      ...Array.from({ length: perPixel }, () => n * S),
    ];
    const arena = new WasmArena(WasmArena.bytes(...counts));
    const kernels = this.pairwise.map((pw) => {
      const lattice = latticeIntoArena(arena, pw.lattice.arrays(), pw.norm);
      let matrix = 0;
      if (pw.matrix) arena.f32((matrix = arena.alloc(L * L)), L * L).set(pw.matrix);
      return { lattice, potts: pw.potts, matrix };
    });
    const valuesA = arena.alloc((maxPoints + 1) * S);
    const valuesB = arena.alloc((maxPoints + 1) * S);
    const scratch = anyMatrix ? arena.alloc(n * S) : 0;
    const arrays = Array.from({ length: perPixel }, () => arena.alloc(n * S));
    return { ws: { arena, S, kernels, valuesA, valuesB, scratch }, arrays };
  }

  /**
   * acc = base + sign * sum over kernels of mu(K(Q)), on S-strided arrays in
   * the arena (base = acc: accumulate). The first Potts kernel starts from
   * `base` directly, saving a copy of the energies per iteration.
   */
  private addMessages(ws: Workspace, Q: number, acc: number, sign: number, base = acc): void {
    const { arena, S } = ws;
    const size = this.pixels * S;
    let from = base;
    for (const kernel of ws.kernels) {
      if (kernel.potts !== null) {
        // mu(v) = -w v
        filterInto(arena, kernel.lattice, Q, S, ws.valuesA, ws.valuesB, acc, -kernel.potts * sign, from);
      } else {
        if (from !== acc) arena.f32(acc, size).set(arena.f32(from, size));
        arena.f32(ws.scratch, size).fill(0);
        filterInto(arena, kernel.lattice, Q, S, ws.valuesA, ws.valuesB, ws.scratch, 1);
        arena.k.matrixAdd(ws.scratch, this.pixels, S, this.labels, kernel.matrix, acc, sign);
      }
      from = acc;
    }
    if (from !== acc) arena.f32(acc, size).set(arena.f32(from, size));
  }

  /** Mean-field inference for `iterations` steps (densecrf's DenseCRF::inference). */
  inference(iterations: number, onIteration?: (iteration: number, Q: Float32Array) => void): CrfResult {
    if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`Iterations must be a non-negative integer (got ${iterations}).`);
    const n = this.pixels;
    const L = this.labels;
    const {
      ws,
      arrays: [negU, tmp, Q],
    } = this.workspace(3);
    const { arena, S } = ws;
    const negUView = arena.f32(negU!, n * S);
    // Padding lanes get -1e30: their softmax is exactly 0, so they never carry mass.
    negUView.fill(-1e30);
    for (let p = 0; p < n; p++) for (let l = 0; l < L; l++) negUView[p * S + l] = this.unary ? -this.unary[p * L + l]! : 0;
    const out = new Float32Array(n * L);
    arena.k.softmax(negU!, Q!, n, S);
    for (let it = 0; it < iterations; it++) {
      this.addMessages(ws, Q!, tmp!, -1, negU!);
      arena.k.softmax(tmp!, Q!, n, S);
      if (onIteration) onIteration(it + 1, arena.getStrided(Q!, out, n, L, S));
    }
    arena.getStrided(Q!, out, n, L, S);
    return { Q: out, labels: this.map(out) };
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
    const {
      ws,
      arrays: [q, msg],
    } = this.workspace(2);
    ws.arena.putStrided(q!, Q, this.pixels, this.labels, ws.S);
    this.addMessages(ws, q!, msg!, 1);
    const acc = ws.arena.getStrided(msg!, new Float32Array(Q.length), this.pixels, this.labels, ws.S);
    for (let i = 0; i < Q.length; i++) kl += Q[i]! * acc[i]!;
    return kl;
  }
}
