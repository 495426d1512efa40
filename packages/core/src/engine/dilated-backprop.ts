/**
 * Which backends' own backprop kernels compute a dilated convolution's
 * gradients. tfjs's refuse dilations, so gradients.ts composes those
 * gradients (conv-grad.ts) unless the active backend's engine registered a
 * check here that takes this convolution.
 */
import { tf } from './tf.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number] | number;

export type DilatedBackpropCheck = (
  depthwise: boolean,
  xShape: number[],
  filterShape: number[],
  strides: Pair,
  pad: Pad,
  dilations: Pair,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
) => boolean;

const checks = new Map<string, DilatedBackpropCheck>();

/** Says, for tfjs backend `backend`, which dilated convolutions its backprop kernels take. */
export function registerDilatedBackprop(backend: string, check: DilatedBackpropCheck): void {
  checks.set(backend, check);
}

/** Whether the active backend's own backprop kernels compute this dilated convolution's gradients. */
export const backpropTakesDilations: DilatedBackpropCheck = (...args) => checks.get(tf.getBackend())?.(...args) ?? false;
