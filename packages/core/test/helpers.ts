import { expect } from 'vitest';
import { engineInfo, InputError, tf } from '../src/index.js';

/** Deterministic uniform values in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** max |a - b| relative to max |b|: the measure the engine's gradient tests bound. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    mag = Math.max(mag, Math.abs(b[i]!));
  }
  return diff / Math.max(mag, 1e-30);
}

/** Runs fn with the given backend active, returning plain arrays. */
export async function onBackend<T>(name: EngineName, fn: () => T): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(name);
  try {
    return fn();
  } finally {
    if (before) await tf.setBackend(before);
  }
}

export type EngineName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * The engine the suite tests against the cpu reference: SEG_BACKEND's
 * choice (auto: tensorflow where it loads, else wasm). CI runs the suite
 * once with SEG_BACKEND=tensorflow and once with SEG_BACKEND=wasm.
 */
export function engineName(): EngineName {
  const info = engineInfo();
  if (!info) throw new Error('initEngine() must run before engineName()');
  return info.backend as EngineName;
}

/** The one sentence an InputError says when `p` rejects (the test fails when it resolves, or rejects otherwise). */
export async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return (err as Error).message;
}
