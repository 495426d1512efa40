/**
 * SGD with momentum and weight decay (PyTorch semantics: g += wd * w;
 * v = m * v + g; w -= lr * v) and Adam, over tfjs's optimizers, with a
 * learning rate that can change every step and state that checkpoints save.
 */
import { tf } from '../engine/tf.js';

export type OptimizerState = Awaited<ReturnType<tf.Optimizer['getWeights']>>;

export interface OptimizerConfig {
  name: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
}

/** Poly schedule (DeepLab v2, Sec. 4.1): lr * (1 - iter / maxIter) ^ power. */
export function polyLr(base: number, iter: number, maxIter: number, power = 0.9): number {
  return base * Math.pow(Math.max(0, 1 - iter / maxIter), power);
}

export class Optimizer {
  readonly config: OptimizerConfig;
  private readonly inner: tf.Optimizer;

  constructor(config: OptimizerConfig) {
    this.config = config;
    this.inner =
      config.name === 'sgd'
        ? tf.train.momentum(config.lr, config.momentum ?? 0.9)
        : tf.train.adam(config.lr, config.beta1 ?? 0.9, config.beta2 ?? 0.999, 1e-8);
  }

  setLearningRate(lr: number): void {
    // SGD/momentum keep the rate in a cached scalar (setLearningRate); Adam reads the field each step.
    const inner = this.inner as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
    if (this.config.name === 'sgd') inner.setLearningRate!(lr);
    else inner.learningRate = lr;
  }

  /**
   * Applies gradients (keyed by variable name), with L2 weight decay added to
   * each; `multipliers` scale a variable's whole step (its learning rate, for SGD).
   */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, multipliers?: Map<string, number>): void {
    const wd = this.config.weightDecay ?? 0;
    tf.tidy(() => {
      const decayed: tf.NamedTensorMap = {};
      for (const v of vars) {
        const g = grads[v.name];
        if (!g) continue;
        const d = wd ? tf.add(g, tf.mul(v, wd)) : g;
        const m = multipliers?.get(v.name);
        decayed[v.name] = m === undefined ? d : tf.mul(d, m);
      }
      this.inner.applyGradients(decayed);
    });
  }

  getState(): Promise<OptimizerState> {
    return this.inner.getWeights();
  }

  async setState(state: OptimizerState): Promise<void> {
    await this.inner.setWeights(state);
    if (this.config.name === 'adam') {
      // tfjs's Adam restores beta^(t+1) with one pow, but a step multiplies it in float32 each time:
      // after a resume the bias corrections differed in the last bits and the run drifted from an
      // uninterrupted one. Rebuild them as the steps did.
      const adam = this.inner as unknown as { iterations_: number; beta1: number; beta2: number; accBeta1: tf.Variable; accBeta2: tf.Variable };
      const stepped = (beta: number) => {
        const b = Math.fround(beta);
        let acc = b;
        for (let i = 0; i < adam.iterations_; i++) acc = Math.fround(acc * b);
        return acc;
      };
      tf.tidy(() => {
        adam.accBeta1.assign(tf.scalar(stepped(adam.beta1)));
        adam.accBeta2.assign(tf.scalar(stepped(adam.beta2)));
      });
    }
  }

  dispose(): void {
    this.inner.dispose();
    // tfjs's MomentumOptimizer.dispose() skips SGDOptimizer's, leaking the learning-rate scalar.
    if (this.config.name === 'sgd') (this.inner as unknown as { c?: tf.Tensor }).c?.dispose();
  }
}
