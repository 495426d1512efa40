import { configDefaults, defineConfig } from 'vitest/config';

// *.webgpu.test.ts run in `pnpm test`'s webgpu pass only (SEG_BACKEND=webgpu; a software adapter is slow),
// and that pass runs only them.
const webgpu = process.env.SEG_BACKEND === 'webgpu';

export default defineConfig({
  test: {
    include: webgpu ? ['test/**/*.webgpu.test.ts'] : ['test/**/*.test.ts'],
    exclude: webgpu ? configDefaults.exclude : [...configDefaults.exclude, 'test/**/*.webgpu.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
