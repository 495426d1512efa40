/**
 * The engines seg computes on, in the order `auto` tries them (each
 * module's `auto` says how). The one list: SEG_BACKEND, seg's help, bench's
 * --engines and the test runner's passes come from it. Free of tfjs, so
 * `@seg/core/names` re-exports it.
 */
import type { EngineModule } from './engine-module.js';
import { tensorflowEngine } from './tensorflow-engine.js';
import { webgpuEngine } from './webgpu-engine.js';
import { wasmEngine } from './wasm-engine.js';
import { cpuEngine } from './cpu-engine.js';

export const ENGINE_MODULES = [tensorflowEngine, webgpuEngine, wasmEngine, cpuEngine] as const;

export type Engine = (typeof ENGINE_MODULES)[number]['name'];
export const ENGINES: readonly Engine[] = ENGINE_MODULES.map((m) => m.name);

/** SEG_BACKEND's values. */
export const BACKEND_CHOICES = ['auto', ...ENGINES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The module of the engine named `name` (a tfjs backend name), if seg has one. */
export function engineModule(name: string): EngineModule | undefined {
  return ENGINE_MODULES.find((m) => m.name === name);
}
