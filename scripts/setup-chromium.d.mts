// Types for scripts/setup-chromium.mjs, for the TypeScript test that imports it.
import type { Chromium } from './find-chromium.mjs';
export interface SetupContext {
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  log: (line: string) => void;
  run: (cmd: string, args: string[], opts?: object) => { status: number | null; stdout: string; stderr: string };
  search: () => Chromium;
}
export type Installer = [name: string, get: (ctx: SetupContext) => Chromium | Promise<Chromium>];
export function cftPlatform(platform?: NodeJS.Platform, arch?: string): string | undefined;
export const INSTALLERS: Installer[];
export function setupChromium(opts?: {
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  systemPaths?: string[];
  installers?: Installer[];
  say?: (line: string) => void;
}): Promise<Chromium | undefined>;
