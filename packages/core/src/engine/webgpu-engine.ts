/**
 * The webgpu engine: tfjs's webgpu backend on Dawn's Node bindings,
 * webgpu.ts. auto takes it on a hardware adapter only, and passes over it
 * quietly (most machines have none); named, it also takes a software
 * adapter, which gives right answers slowly.
 */
import { EngineUnavailable, processMemory, type EngineModule } from './engine-module.js';

export const webgpuEngine: EngineModule<'webgpu'> = {
  name: 'webgpu',
  auto: 'quiet',
  testPass: 'own',

  async load({ explicit }) {
    try {
      const { loadWebGpu } = await import('./webgpu.js');
      // auto takes a hardware adapter only: a software one is slower than wasm.
      const gpu = await loadWebGpu(explicit);
      return { backend: 'webgpu', threads: 1, adapter: gpu.adapter, software: gpu.software };
    } catch (err) {
      throw new EngineUnavailable((err as Error).message.replace(/^webgpu: /, ''));
    }
  },

  describe: (info) => `${info.backend} on ${info.adapter}${info.software ? ' (a software adapter: correct, not fast)' : ''}`,
  record: (info) => ({ backend: info.backend, adapter: info.adapter, software: info.software, threads: info.threads }),
  slow: (info) => info.software === true,

  memory: { place: processMemory },
};
