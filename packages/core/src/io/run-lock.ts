/**
 * One writer per run folder: RUN/.lock holds the owner's pid, host and
 * process start time. A lock whose process is gone (killed, crashed) is
 * stale and taken over; a live one makes the second run refuse.
 * Workers on other machines (a shared runs folder) cannot be asked whether
 * they live, so the holder touches its lock every 30 s and a lock from
 * another host untouched for SEG_LOCK_STALE_S seconds (default 300) is stale.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
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

/** How long another host's lock may go untouched before it is taken for dead. */
export function staleAfterMs(): number {
  const v = Number(process.env.SEG_LOCK_STALE_S ?? 300);
  return (Number.isFinite(v) && v > 0 ? v : 300) * 1000;
}

const HEARTBEAT_MS = 30_000;

function alive(owner: LockOwner, file: string): boolean {
  if (owner.host !== hostname()) {
    // Another machine's worker: alive while it keeps touching its lock.
    try {
      return Date.now() - statSync(file).mtimeMs < staleAfterMs();
    } catch {
      return false;
    }
  }
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

export interface LockOptions {
  /** The lock file's name in `runDir` (default .lock, the trainer's). */
  name?: string;
  /** What the refusal tells the user to do (default: wait, or give another --out). */
  advice?: string;
}

/** Who holds RUN/<name> and when they last touched it; undefined when nobody does (or the file is unreadable). */
export function lockHolder(runDir: string, name = '.lock'): { pid: number; host: string; started: string; touched: number } | undefined {
  const file = path.join(runDir, name);
  const owner = readOwner(file);
  if (!owner) return undefined;
  try {
    return { pid: owner.pid, host: owner.host, started: owner.started, touched: statSync(file).mtimeMs };
  } catch {
    return undefined;
  }
}

/** Locks `runDir` (which must exist) for this process, or throws one sentence naming the owner. */
export function lockRunDir(runDir: string, o: LockOptions = {}): RunLock {
  const file = path.join(runDir, o.name ?? '.lock');
  const advice = o.advice ?? 'wait for it to finish or give another --out';
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
      const heartbeat = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(file, now, now);
        } catch {
          // removed under us: the next release finds it gone
        }
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return {
        file,
        release: () => {
          clearInterval(heartbeat);
          if (!held.delete(file)) return;
          const owner = readOwner(file);
          if (owner?.started === me.started && owner.pid === me.pid) unlinkSync(file);
        },
      };
    }
    const owner = readOwner(file);
    if (owner && alive(owner, file)) {
      const who = owner.pid === process.pid && owner.host === me.host ? 'this process' : `process ${owner.pid} on ${owner.host}`;
      throw new InputError(`Run folder ${runDir} is in use by another run (${who}, since ${owner.started}); ${advice}.`);
    }
    // Stale: its owner is gone. Remove it and try once more (another starter may win that race).
    try {
      unlinkSync(file);
    } catch {
      // removed by a concurrent starter
    }
  }
  throw new InputError(`Run folder ${runDir} was just locked by another run; ${advice}.`);
}

/**
 * Locks DIR/<name> (DIR made if need be), waiting while another process holds
 * it: `onWait` is told once who that is. For one fetch of a dataset or a
 * weights file at a time; the second finds the first's result.
 */
export async function waitForLock(dir: string, name: string, onWait: (holder: string) => void): Promise<RunLock> {
  let told = false;
  for (;;) {
    // made each time: a fetch that held the lock may remove the folder when it is done
    mkdirSync(dir, { recursive: true });
    try {
      return lockRunDir(dir, { name, advice: 'waiting' });
    } catch (err) {
      // ENOENT: the folder went between our mkdir and open; try again
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (!(err instanceof InputError)) throw err;
      if (!told) {
        const h = lockHolder(dir, name);
        onWait(h ? `process ${h.pid} on ${h.host}` : 'another process');
        told = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
