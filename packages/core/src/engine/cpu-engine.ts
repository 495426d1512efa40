/**
 * The cpu engine: tfjs's plain JavaScript backend, the slow numerical
 * reference the other engines' tests are checked against. auto never takes
 * it.
 */
import { processMemory, threadCount, type EngineModule } from './engine-module.js';

export const cpuEngine: EngineModule<'cpu'> = {
  name: 'cpu',
  auto: 'never',
  testPass: 'reference',

  async load() {
    const { tf } = await import('./tf.js');
    await tf.setBackend('cpu');
    await tf.ready();
    return { backend: 'cpu', threads: 1 };
  },

  describe: (info) => `${info.backend}, ${threadCount(info.threads)}`,
  record: (info) => ({ backend: info.backend, threads: info.threads }),
  slow: () => true,

  memory: { place: processMemory },
};
