/**
 * Running out of memory, on every engine, as one sentence. Each engine
 * fails its own way, which its module recognises (EngineModule.memory); V8
 * failing to allocate an ArrayBuffer or array is common to all.
 * `isOutOfMemory` recognises them all and `asOutOfMemory` says what did not
 * fit, where, and what to change.
 */
import os from 'node:os';
import { OutOfMemory } from '../errors/input-error.js';
import { tf } from './tf.js';
import { ENGINE_MODULES, engineModule } from './engines.js';
import { processMemory } from './engine-module.js';

const V8 = [/Array buffer allocation failed/, /Invalid typed array length/, /Invalid array length/, /out of memory/i];

export function isOutOfMemory(err: unknown): boolean {
  if (err instanceof OutOfMemory) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return V8.some((p) => p.test(msg)) || ENGINE_MODULES.some((m) => m.memory.isOutOfMemory?.(err, msg) === true);
}

const GIB = 2 ** 30;

/**
 * The OutOfMemory error for `err` when it is one (else `err` itself):
 * "Out of memory: <what> does not fit in <place>; <fix>."
 */
export function asOutOfMemory(err: unknown, what: string, fix: string): unknown {
  if (!isOutOfMemory(err) || (err instanceof OutOfMemory && /^Out of memory/.test(err.message))) return err;
  const memory = engineModule(tf.getBackend())?.memory;
  const machine = `this machine has ${(os.totalmem() / GIB).toFixed(0)} GiB`;
  const place = memory ? memory.place(machine) : processMemory(machine);
  const other = memory?.advice ? `, ${memory.advice}` : '';
  return new OutOfMemory(`Out of memory: ${what} does not fit in ${place}; ${fix}${other}.`);
}
