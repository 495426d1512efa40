/**
 * The tensorflow engine: TensorFlow's own kernels through tfjs-node (or
 * tfjs-node-gpu), tensorflow.ts. The fastest on a CPU, so auto prefers it
 * and says why when it does not load: it is an optional dependency whose
 * native addon @seg/core's postinstall builds.
 */
import { EngineUnavailable, threadCount, type EngineModule } from './engine-module.js';

export const tensorflowEngine: EngineModule<'tensorflow'> = {
  name: 'tensorflow',
  auto: 'prefer',
  testPass: 'suite',

  async load({ threads }) {
    let loaded;
    try {
      const { loadTensorflow } = await import('./tensorflow.js');
      loaded = await loadTensorflow(threads());
    } catch (err) {
      throw new EngineUnavailable((err as Error).message.replace(/\.$/, ''), '`pnpm --filter @seg/core setup:tensorflow` rebuilds it (README, Engines)');
    }
    if (!loaded) throw new EngineUnavailable('neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed', '`pnpm install` installs and builds it (an optional dependency of @seg/core; README, Engines)');
    return { backend: 'tensorflow', threads: loaded.threads, provider: loaded.provider, version: loaded.version };
  },

  describe: (info) => `${info.backend}${info.provider ? ` via ${info.provider}` : ''}${info.version ? ` (TensorFlow ${info.version})` : ''}, ${threadCount(info.threads)}`,
  record: (info) => ({ backend: info.backend, provider: info.provider, tensorflow: info.version, threads: info.threads }),
  slow: () => false,

  memory: {
    place: (machine) => `the tensorflow engine's memory (${machine})`,
    native: true,
    isOutOfMemory: (_err, message) => /OOM when allocating/.test(message) || /std::bad_alloc/.test(message),
  },
};
