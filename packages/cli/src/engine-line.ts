/**
 * The engine, started when a verb has checked its input: main passes each
 * verb a function that loads @seg/core, initialises the engine SEG_BACKEND
 * picks and prints the engine line on stderr, once.
 */
import type { EngineInfo } from '@seg/core';

/** `network`: what runs the model (`--engine`): the tfjs backend itself, or onnxruntime-node. */
export type StartEngine = (network?: 'tfjs' | 'onnx') => Promise<EngineInfo>;

export function engineStarter(err: (s: string) => void): StartEngine {
  let started: Promise<EngineInfo> | undefined;
  return (network = 'tfjs') =>
    (started ??= (async () => {
      const core = await import('@seg/core');
      const info = await core.initEngine();
      const ort = network === 'onnx' ? await core.loadOnnxRuntime() : undefined;
      const onnxruntime = ort && (ort.env.versions.node ?? ort.env.versions.common);
      err(core.describeEngine(info, onnxruntime));
      return info;
    })());
}
