import { configDefaults, defineConfig } from 'vitest/config';
import { engineTestFiles } from '@seg/core/names';

// An engine with a test pass of its own (webgpu) runs only its *.<engine>.test.ts files, and only in that pass.
const files = engineTestFiles();

export default defineConfig({
  test: {
    include: files.include,
    exclude: [...configDefaults.exclude, ...files.exclude],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
