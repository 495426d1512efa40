/**
 * One writer per run folder: RUN/.lock holds the owner's pid, host and
 * process start time. A lock whose process is gone (killed, crashed) is
 * stale and taken over; a live one makes the second run refuse.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';

interface LockOwner {
  pid: number;
  host: string;
  /** /proc/<pid>/stat's start time, so a reused pid is not taken for the owner. */
  procStart?: string;
  started: string;
}

export interface RunLock {
  file: string;
  release(): void;
}

/** Lock files this process holds: removed on exit even if a run forgets. */
const held = new Set<string>();
let exitHook = false;

function procStart(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine's run: cannot tell, so respect it
  if (owner.pid === process.pid) return true; // a run of this process still holds it
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStart(owner.pid);
  return owner.procStart === undefined || now === undefined || now === owner.procStart;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined; // unreadable or half-written: its writer died before finishing it
  }
}

function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Locks `runDir` (which must exist) for this process, or throws one sentence naming the owner. */
export function lockRunDir(runDir: string): RunLock {
  const file = path.join(runDir, '.lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), procStart: procStart(process.pid), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(file, me)) {
      held.add(file);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const f of held) {
            try {
              unlinkSync(f);
            } catch {
              // already gone
            }
          }
        });
      }
      return {
        file,
        release: () => {
          if (!held.delete(file)) return;
          const owner = readOwner(file);
          if (owner?.started === me.started && owner.pid === me.pid) unlinkSync(file);
        },
      };
    }
    const owner = readOwner(file);
    if (owner && alive(owner)) {
      const who = owner.pid === process.pid && owner.host === me.host ? 'this process' : `process ${owner.pid} on ${owner.host}`;
      throw new InputError(`Run folder ${runDir} is in use by another run (${who}, since ${owner.started}); wait for it to finish or give another --out.`);
    }
    // Stale: its owner is gone. Remove it and try once more (another starter may win that race).
    try {
      unlinkSync(file);
    } catch {
      // removed by a concurrent starter
    }
  }
  throw new InputError(`Run folder ${runDir} was just locked by another run; wait for it to finish or give another --out.`);
}
