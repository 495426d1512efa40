// Types for scripts/find-chromium.mjs, for the TypeScript tests that import it.
export type Chromium = { path: string; version: string; source: string } | { path: null; why: string };
export interface SearchOptions {
  platform?: NodeJS.Platform;
  /** Replaces the usual install paths (tests pass [] so the machine's own browser is not found). */
  systemPaths?: string[];
  cacheDir?: string;
  log?: (line: string) => void;
}
export const CACHE_DIR: string;
export function systemPaths(env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform): string[];
export function browserVersion(file: string): { version: string; error?: undefined } | { version?: undefined; error: string };
export function candidates(env?: NodeJS.ProcessEnv, opts?: SearchOptions): { path: string; source: string }[];
export function searchChromium(env?: NodeJS.ProcessEnv, opts?: SearchOptions): Chromium;
export function recorded(cacheDir?: string): Chromium | undefined;
export function findChromium(env?: NodeJS.ProcessEnv, opts?: SearchOptions): Chromium;
export function describeChromium(result: Chromium): string;
