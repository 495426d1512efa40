/**
 * The models registered in this process, by name: a module of its own so
 * that @seg/core/names can tell them without loading tfjs (registry.ts adds
 * to it).
 */
import type { ModelSpec } from './model-spec.js';

export const registered = new Map<string, ModelSpec>();

/** The names of the models registered so far. */
export function registeredModelNames(): string[] {
  return [...registered.keys()];
}
