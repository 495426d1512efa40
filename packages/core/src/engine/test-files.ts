/**
 * Which test files a package's vitest run takes, by engine: an engine whose
 * module says its test pass is its own (webgpu: a software adapter is slow)
 * runs only its `*.<engine>.test.ts` files, and every other run leaves them
 * out. Both packages with such files read their vitest config from here.
 */
import { ENGINE_MODULES } from './engines.js';

export function engineTestFiles(backend = process.env.SEG_BACKEND): { include: string[]; exclude: string[] } {
  const own = ENGINE_MODULES.filter((m) => m.testPass === 'own').map((m) => m.name as string);
  if (backend && own.includes(backend)) return { include: [`test/**/*.${backend}.test.ts`], exclude: [] };
  return { include: ['test/**/*.test.ts'], exclude: own.map((e) => `test/**/*.${e}.test.ts`) };
}
