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
 * each kernel's copy of its lattice's barycentric weights.
 */
import { bilateralFeatures, positionFeatures } from './features.js';
import { PermutohedralLattice } from './permutohedral.js';
import { filterInto, laneStride, sliceFactor, WasmArena } from './wasm-kernels.js';

/** Potts weight w, or a labels x labels compatibility matrix (row-major or nested). */
export type Compatibility = number | ArrayLike<number> | number[][];

interface Pairwise {
  lattice: PermutohedralLattice;
  /** Barycentric weights times n = 1 / sqrt(L(1)) of their pixel (in the arena): splat and slice both use them. */
  weights: number;
  /** The slice factor 1 / (1 + 2^-d), folded into the coefficient of the slice. */
  alpha: number;
  /** Potts weight, or null for a matrix. */
  potts: number | null;
  /** A compatibility matrix in the arena (labels x labels), or 0. */
  matrix: number;
}

/** The arrays of a mean-field run, as addresses in the CRF's arena. */
interface Workspace {
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
  /** Labels rounded up to a multiple of 4: the per-pixel stride of the arrays in the arena. */
  private readonly S: number;
  /** The WebAssembly memory holding the unary, the lattices and their weights. */
  private readonly arena = new WasmArena();
  /** -U, S-strided, padding lanes -1e30 (their softmax is exactly 0, so they never carry mass). */
  private negU = 0;
  /** Whether negU holds a unary (a rejected one leaves the previous in place). */
  private unarySet = false;
  /** Set while inference runs: its scratch space would free what onIteration added. */
  private running = false;
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
    this.S = laneStride(labels);
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

  /** The unary's array in the arena (allocated once; set again overwrites it). */
  private unaryAt(): number {
    if (!this.negU) this.negU = this.arena.alloc(this.pixels * this.S);
    return this.negU;
  }

  private notRunning(what: string): void {
    if (this.running) throw new Error(`DenseCRF: ${what} cannot change while inference runs (called from onIteration).`);
  }

  /** Unary energies U (H x W x labels), e.g. -log p. */
  setUnaryEnergy(energy: ArrayLike<number>): this {
    this.notRunning('the unary');
    this.checkPerPixel('Unary energies', energy);
    this.arena.putStrided(energy, this.pixels, this.labels, this.S, { scale: -1, pad: -1e30, into: this.unaryAt() });
    this.unarySet = true;
    return this;
  }

  /** U = -ln(clip(p, 1e-5, 1)), as pydensecrf.utils.unary_from_softmax. */
  setUnaryFromProbabilities(probs: ArrayLike<number>, clip = 1e-5): this {
    this.notRunning('the unary');
    // The SIMD logarithm takes normal floats: clip at 1e-30 at the least.
    if (!(clip >= 1e-30 && clip <= 1)) throw new Error(`The probability clip must lie in [1e-30, 1] (got ${clip}).`);
    if (probs.length !== this.pixels * this.labels) this.checkPerPixel('Probabilities', probs);
    // -U = ln p, taken in WebAssembly where the values wait; it stops at the first value outside [0, 1] (1 + 1e-3 passes, for rounding).
    const prepare = (src: number, count: number) => {
      const bad = this.arena.k.logProbabilities(src, count, clip);
      if (bad < 0) return;
      this.checkPerPixel('Probabilities', probs);
      throw new Error(`Probabilities must lie in [0, 1] (got ${probs[bad]} at index ${bad}).`);
    };
    this.arena.putStrided(probs, this.pixels, this.labels, this.S, { pad: -1e30, into: this.unaryAt(), prepare });
    this.unarySet = true;
    return this;
  }

  /** A kernel on arbitrary features (pixel-major, `dims` per pixel, already divided by their bandwidths). */
  addPairwiseEnergy(features: Float32Array, dims: number, compat: Compatibility): this {
    this.notRunning('the kernels');
    const { arena, pixels: n } = this;
    const compatibility = this.compatibility(compat);
    const lattice = new PermutohedralLattice(features, dims, n, arena);
    const { d1 } = lattice.at;
    // n = 1 / sqrt(L(1)), folded into the weights: K(Q) = n L(n Q).
    const weights = arena.alloc(n * d1);
    const mark = arena.mark();
    const ones = arena.alloc(n * 4);
    arena.f32(ones, n * 4).fill(1);
    const filtered = arena.alloc(n * 4);
    arena.f32(filtered, n * 4).fill(0);
    const { a, b } = lattice.valueScratch(4);
    const alpha = sliceFactor(d1);
    filterInto(arena, lattice.at, lattice.at.weights, ones, 4, a, b, filtered, alpha);
    const norm = arena.alloc(n);
    arena.k.inverseSqrt(filtered, n, 4, norm);
    arena.k.scaleWeights(lattice.at.weights, norm, n, d1, weights);
    arena.release(mark);
    let matrix = 0;
    if (compatibility.matrix) arena.f32((matrix = arena.alloc(compatibility.matrix.length)), compatibility.matrix.length).set(compatibility.matrix);
    this.pairwise.push({ lattice, weights, alpha, potts: compatibility.potts, matrix });
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

  /** Lattice-value scratch for the largest lattice, and the matrix scratch when a kernel needs it (release after use). */
  private workspace(): Workspace {
    const { arena, S } = this;
    const maxPoints = Math.max(0, ...this.pairwise.map((pw) => pw.lattice.points));
    const valuesA = arena.alloc((maxPoints + 1) * S);
    const valuesB = arena.alloc((maxPoints + 1) * S);
    const scratch = this.pairwise.some((pw) => pw.matrix) ? arena.alloc(this.pixels * S) : 0;
    return { valuesA, valuesB, scratch };
  }

  /**
   * acc = base + sign * sum over kernels of mu(K(Q)), on S-strided arrays in
   * the arena (base = acc: accumulate). The first Potts kernel starts from
   * `base` directly, saving a copy of the energies per iteration.
   */
  private addMessages(ws: Workspace, Q: number, acc: number, sign: number, base = acc): void {
    const { arena, S } = this;
    const size = this.pixels * S;
    let from = base;
    for (const kernel of this.pairwise) {
      const at = kernel.lattice.at;
      if (kernel.potts !== null) {
        // mu(v) = -w v
        filterInto(arena, at, kernel.weights, Q, S, ws.valuesA, ws.valuesB, acc, -kernel.potts * sign * kernel.alpha, from);
      } else {
        if (from !== acc) arena.f32(acc, size).set(arena.f32(from, size));
        arena.f32(ws.scratch, size).fill(0);
        filterInto(arena, at, kernel.weights, Q, S, ws.valuesA, ws.valuesB, ws.scratch, kernel.alpha);
        arena.k.matrixAdd(ws.scratch, this.pixels, S, this.labels, kernel.matrix, acc, sign);
      }
      from = acc;
    }
    if (from !== acc) arena.f32(acc, size).set(arena.f32(from, size));
  }

  /** Mean-field inference for `iterations` steps (densecrf's DenseCRF::inference). */
  inference(iterations: number, onIteration?: (iteration: number, Q: Float32Array) => void): CrfResult {
    if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`Iterations must be a non-negative integer (got ${iterations}).`);
    const { arena, pixels: n, labels: L, S } = this;
    if (!this.unarySet) this.setUnaryEnergy(new Float32Array(n * L));
    const mark = arena.mark();
    const Q = arena.alloc(n * S);
    const out = new Float32Array(n * L);
    arena.k.softmax(this.negU, Q, n, S);
    const step = this.pairwise.every((pw) => pw.potts !== null) ? this.pottsStep() : this.generalStep();
    this.running = true;
    try {
      for (let it = 0; it < iterations; it++) {
        step(Q);
        if (onIteration) onIteration(it + 1, arena.getStrided(Q, out, n, L, S));
      }
    } finally {
      this.running = false;
    }
    const labels = L <= 256 ? new Uint8Array(n) : new Uint16Array(n);
    const at = arena.alloc(Math.ceil(n / 2));
    arena.k.argmax(Q, n, L, S, at, labels.BYTES_PER_ELEMENT);
    labels.set(L <= 256 ? new Uint8Array(arena.k.memory.buffer, at, n) : new Uint16Array(arena.k.memory.buffer, at, n));
    // Q is done with: drop its padding lanes in place (each row moves down, never over one still to read).
    arena.k.fromStrided(Q, n, L, S, Q);
    out.set(arena.f32(Q, n * L));
    arena.release(mark);
    return { Q: out, labels };
  }

  /**
   * One mean-field step, Q <- softmax(-U - sum of mu(K(Q))), when every kernel
   * is Potts: each kernel splats Q onto its lattice and blurs it, then the
   * slices add up in place in Q (in the kernels' order, as densecrf sums
   * them), the first starting from -U and the last normalising each pixel's
   * row while it is in cache. Each kernel's blurred values last until the
   * slices; the buffer its blur ping-ponged with is free again for the next,
   * so the kernels run largest lattice first: for 500x375 the two take three
   * buffers (52 MB of lattice values; one pair per kernel would be 62 MB,
   * one pair for both, as a separate slice per kernel allows, 42 MB).
   */
  private pottsStep(): (Q: number) => void {
    const { arena, pixels: n, S } = this;
    const free: { at: number; size: number }[] = [];
    const take = (size: number) => {
      free.sort((x, y) => x.size - y.size);
      const i = free.findIndex((f) => f.size >= size);
      return i >= 0 ? free.splice(i, 1)[0]! : { at: arena.alloc(size), size };
    };
    const bySize = [...this.pairwise].sort((x, y) => y.lattice.points - x.lattice.points);
    const blurs = bySize.map((pw) => {
      const size = (pw.lattice.points + 1) * S;
      const a = take(size);
      const b = take(size);
      // The blur leaves its result in b after an odd number of passes, else in a.
      const [result, spare] = pw.lattice.at.d1 % 2 === 1 ? [b, a] : [a, b];
      free.push(spare);
      return { pw, a: a.at, b: b.at, result: result.at };
    });
    const slices = this.pairwise.map((pw) => ({ pw, values: blurs.find((k) => k.pw === pw)!.result }));
    return (Q) => {
      if (slices.length === 0) return arena.k.softmax(this.negU, Q, n, S);
      for (const { pw, a, b } of blurs) {
        const at = pw.lattice.at;
        arena.k.splat(at.offsets, pw.weights, n, at.d1, Q, S, a);
        arena.k.blur(at.prev, at.next, at.d1, at.points, S, a, b, at.perm, at.reach);
      }
      slices.forEach(({ pw, values }, k) => {
        const at = pw.lattice.at;
        // -mu(K(Q)) = w K(Q), with the slice factor folded in.
        arena.k.sliceAdd(at.offsets, pw.weights, n, at.d1, values, S, k === 0 ? this.negU : Q, Q, pw.potts! * pw.alpha, k === slices.length - 1);
      });
    };
  }

  /** One mean-field step for any kernels (a compatibility matrix among them). */
  private generalStep(): (Q: number) => void {
    const { arena, pixels: n, S } = this;
    const ws = this.workspace();
    const tmp = arena.alloc(n * S);
    return (Q) => {
      this.addMessages(ws, Q, tmp, -1, this.negU);
      arena.k.softmax(tmp, Q, n, S);
    };
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
    const { arena, pixels: n, labels: L, S } = this;
    const mark = arena.mark();
    if (this.unarySet) {
      const negU = arena.getStrided(this.negU, new Float32Array(Q.length), n, L, S);
      for (let i = 0; i < Q.length; i++) kl -= negU[i]! * Q[i]!;
    }
    const ws = this.workspace();
    const q = arena.putStrided(Q, n, L, S);
    const msg = arena.alloc(n * S);
    arena.f32(msg, n * S).fill(0);
    this.addMessages(ws, q, msg, 1);
    const acc = arena.getStrided(msg, new Float32Array(Q.length), n, L, S);
    arena.release(mark);
    for (let i = 0; i < Q.length; i++) kl += Q[i]! * acc[i]!;
    return kl;
  }
}
