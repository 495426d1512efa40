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
