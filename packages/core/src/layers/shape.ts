import type { tf, tfl } from '../engine/tf.js';

/** The first of a layer's input shapes (layers here take one or several inputs). */
export function firstShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
}

export function allShapes(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
  return (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tfl.Shape[];
}

export function asList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

export type Pad = 'same' | 'valid' | number;
export type Pair = number | [number, number];
export const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Output length of a convolution or pooling window along one axis. */
export function convOutLength(len: number | null, k: number, stride: number, dilation: number, pad: Pad): number | null {
  if (len == null) return null;
  const eff = (k - 1) * dilation + 1;
  if (pad === 'same') return Math.ceil(len / stride);
  if (pad === 'valid') return Math.floor((len - eff) / stride) + 1;
  return Math.floor((len + 2 * pad - eff) / stride) + 1;
}

/** Whether a weight's shape (nulls for free dimensions) equals `b`. */
export const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
