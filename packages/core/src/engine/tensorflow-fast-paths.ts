/**
 * seg's fast paths (fast-paths.ts) as TensorFlow ops, one pass each where
 * the composition is several: ReluGrad, FusedBatchNormV3 and
 * FusedBatchNormGradV3. tensorflow.ts registers them with its kernels.
 */
import { tf } from './tf.js';
import { FastPath } from './fast-paths.js';
import { floatType, type NodeBackend } from './tensorflow-backend.js';

function batchNormAttrs(b: NodeBackend, epsilon: number) {
  return [
    floatType(b),
    floatType(b, 'U'),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
  ];
}

type Run = (b: NodeBackend, inputs: tf.NamedTensorInfoMap, attrs: { epsilon: number }) => tf.Tensor | tf.Tensor[];

const kernel = (kernelName: string, run: Run): tf.KernelConfig => ({
  kernelName,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs, backend }) => run(backend as unknown as NodeBackend, inputs, attrs as unknown as { epsilon: number }) as unknown as tf.TensorInfo,
});

export const fastPathKernels: tf.KernelConfig[] = [
  kernel(FastPath.ReluGrad, (b, { dy, x }) => b.executeSingleOutput('ReluGrad', [floatType(b)], [dy!, x!])),
  kernel(FastPath.BatchNormTrain, (b, { z, gamma, beta }, { epsilon }) => {
    const empty = tf.tensor1d([]);
    const attrs = [...batchNormAttrs(b, epsilon), { name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: 1 }];
    // Outputs: y, batch mean, batch variance (Bessel-corrected), and the three reserve spaces the gradient reads.
    const [value, mean, unbiased, r1, r2, r3] = b.executeMultipleOutputs('FusedBatchNormV3', attrs, [z!, gamma!, beta!, empty, empty], 6);
    empty.dispose();
    const m = z!.shape[0]! * z!.shape[1]! * z!.shape[2]!;
    const variance = tf.mul(unbiased!, (m - 1) / m);
    unbiased!.dispose();
    return [value!, mean!, variance, r1!, r2!, r3!];
  }),
  kernel(FastPath.BatchNormTrainGrad, (b, { du, z, gamma, saved0, saved1, saved2 }, { epsilon }) => {
    const [dz, dgamma, dbeta, r4, r5] = b.executeMultipleOutputs('FusedBatchNormGradV3', batchNormAttrs(b, epsilon), [du!, z!, gamma!, saved0!, saved1!, saved2!], 5);
    tf.dispose([r4!, r5!]);
    return [dz!, dgamma!, dbeta!];
  }),
];
