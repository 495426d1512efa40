/**
 * The onnx engine: exported graphs run by onnxruntime-node (CPU provider
 * here). onnxruntime-node is loaded on first use only, so the rest of the
 * library never pays for its native binding.
 */
import { tf, type tfl } from './tf.js';
import { exportOnnx, type OnnxExportOptions } from '../export/onnx.js';
import { withoutAuxiliary } from '../models/auxiliary.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

let ort: Promise<Ort> | undefined;

export function loadOnnxRuntime(): Promise<Ort> {
  ort ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (err: Error) => {
      ort = undefined;
      throw new Error(`The onnx engine needs onnxruntime-node, which did not load (${err.message.split('\n')[0]}); install it with ONNXRUNTIME_NODE_INSTALL=skip.`);
    },
  );
  return ort;
}

export interface OnnxSessionOptions {
  /** Intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
}

/** An onnxruntime session on ONNX bytes, all graph optimisations on. */
export async function onnxSession(bytes: Uint8Array, o: OnnxSessionOptions = {}): Promise<Session> {
  const rt = await loadOnnxRuntime();
  return rt.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    ...(o.threads ? { intraOpNumThreads: o.threads, interOpNumThreads: 1 } : {}),
  });
}

/** Runs a session's first output on an NCHW float32 input. */
export async function runOnnx(session: Session, input: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const rt = await loadOnnxRuntime();
  const feeds = { [session.inputNames[0]!]: new rt.Tensor('float32', input, dims) };
  const result = await session.run(feeds);
  const out = result[session.outputNames[0]!]!;
  return { data: out.data as Float32Array, dims: [...out.dims] };
}

/**
 * A tfjs model run through its ONNX export: one session per input size,
 * exported on first use. `logits` takes and returns NHWC tensors like the
 * model's predict, so inference code treats both engines alike.
 */
export class OnnxNetwork {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(
    readonly model: tfl.LayersModel,
    private readonly options: OnnxSessionOptions & Omit<OnnxExportOptions, 'size' | 'batch'> = {},
  ) {}

  get inputShape(): (number | null)[] {
    return this.model.inputs[0]!.shape.slice(1);
  }

  private session(h: number, w: number, n: number): Promise<Session> {
    const key = `${n}x${h}x${w}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = onnxSession(exportOnnx(this.model, { size: [h, w], batch: n, version: this.options.version }).bytes, this.options);
      this.sessions.set(key, s);
    }
    return s;
  }

  async logits(x: tf.Tensor4D): Promise<tf.Tensor4D> {
    const [n, h, w] = x.shape;
    const session = await this.session(h, w, n);
    const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]));
    const input = (await nchw.data()) as Float32Array;
    nchw.dispose();
    const out = await runOnnx(session, input, [n, x.shape[3], h, w]);
    return tf.tidy(() => tf.transpose(tf.tensor4d(out.data, out.dims as [number, number, number, number]), [0, 2, 3, 1]));
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

/**
 * How closely the ONNX export reproduces the model on one input (NHWC, e.g.
 * seeded noise): the largest absolute logit difference and the share of
 * pixels whose argmax agrees.
 */
export async function compareOnnx(model: tfl.LayersModel, input: tf.Tensor4D, o: OnnxSessionOptions = {}): Promise<{ maxAbsDiff: number; argmaxAgreement: number; pixels: number }> {
  const net = new OnnxNetwork(model, o);
  try {
    const got = await net.logits(input);
    const wantT = withoutAuxiliary(model).predict(input) as tf.Tensor4D;
    const [a, b] = [(await got.data()) as Float32Array, (await wantT.data()) as Float32Array];
    const classes = wantT.shape[3];
    got.dispose();
    wantT.dispose();
    if (a.length !== b.length) throw new Error(`ONNX output holds ${a.length} values, the model's ${b.length}.`);
    let maxAbsDiff = 0;
    let agree = 0;
    const pixels = a.length / classes;
    for (let p = 0; p < pixels; p++) {
      let ia = 0;
      let ib = 0;
      for (let k = 0; k < classes; k++) {
        const i = p * classes + k;
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
        if (a[i]! > a[p * classes + ia]!) ia = k;
        if (b[i]! > b[p * classes + ib]!) ib = k;
      }
      if (ia === ib) agree++;
    }
    return { maxAbsDiff, argmaxAgreement: agree / pixels, pixels };
  } finally {
    await net.dispose();
  }
}
