/**
 * The part of tfjs-node's NodeJSKernelBackend that seg's tensorflow kernels
 * call (TensorFlow ops by name, with TF attributes), shared by tensorflow.ts
 * and tensorflow-fast-paths.ts.
 */
import type { tf } from './tf.js';

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

export interface NodeBackend {
  binding: {
    TF_ATTR_INT: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_TYPE: number;
    TF_FLOAT: number;
    TF_Version: string;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], n: number): tf.Tensor[];
  isUsingGpuDevice?: boolean;
}

/** The `T: float` attribute every float op takes. */
export function floatType(b: NodeBackend, name = 'T'): OpAttr {
  return { name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
}
