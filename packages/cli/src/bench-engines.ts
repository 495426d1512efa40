import { ENGINES } from '@seg/core/names';

/** What seg bench times, in its tables' order: the onnx engine (onnxruntime-node), then every tfjs engine. */
export const BENCH_ENGINES = ['onnx', ...ENGINES] as const;
export type BenchEngine = (typeof BENCH_ENGINES)[number];
