import { configDefaults, defineConfig } from 'vitest/config';
import { engineTestFiles } from './src/engine/test-files.js';

// An engine with a test pass of its own (webgpu) runs only its *.<engine>.test.ts files, and only in that pass.
const files = engineTestFiles();

export default defineConfig({
  test: {
    include: files.include,
    exclude: [...configDefaults.exclude, ...files.exclude],
    // Tests are CPU-bound and the wasm backend already uses every core.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
