/**
 * The smoke grid run twice through the command a scheduler calls: once as one
 * process, once as three `--shard K/3` workers at the same time on one runs
 * folder, merged by `--report`. results.json and report.md must be the same
 * bytes apart from timings. One worker is killed mid-run and started again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../src/profiles.js';
import { replication } from '../src/replication.js';

const main = path.resolve(__dirname, '../src/main.ts');
const SAMPLE_CATALOG = path.resolve(__dirname, '../../../packages/core/test/fixtures/camvid-sample-catalog.mjs');
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const dir = mkdtempSync(path.join(tmpdir(), 'seg-segnet-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `replicate` as a worker runs it: its own process, its folders from the environment. */
function start(args: string[], folder: string) {
  // camvid is the test sample (a preload registers it), read where SEG_DATA_DIR holds none
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(SAMPLE_CATALOG).href}`, SEG_PROFILE: 'smoke', SEG_DATA_DIR: path.join(dir, 'data'), SEG_RUNS_DIR: path.join(dir, folder, 'runs'), SEG_REPORTS_DIR: path.join(dir, folder, 'reports') };
  // Its own process group: tsx runs the worker in a child process, and a kill must reach it as a scheduler's would.
  const child = spawn(process.execPath, [tsx, main, ...args], { env, detached: true });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, ...out }));
  });
  return { child, out, done };
}

const replicate = (args: string[], folder: string) => start(args, folder).done;

const read = (folder: string, file: string) => readFileSync(path.join(dir, folder, 'reports', 'segnet', file), 'utf8');

/** results.json without what a clock decides: training seconds and the cost table's milliseconds. */
function withoutTimings(text: string) {
  const r = JSON.parse(text) as { runs: { training_seconds?: number }[]; costs: { ms: Record<string, number | null> }[] };
  for (const run of r.runs) delete run.training_seconds;
  for (const c of r.costs) for (const k of Object.keys(c.ms)) c.ms[k] = null;
  return r;
}

describe('SegNet smoke grid: one process vs three shards on one folder', () => {
  it('lists the grid, runs each run once across the shards, and merges to the same results.json and report.md', async () => {
    const grid = replication.grid(PROFILES.smoke);
    const listing = (await replicate(['--list'], 'three')).stdout.trimEnd().split('\n');
    expect(listing).toHaveLength(grid.length + 1);
    expect(listing.slice(1).map((l) => l.split('\t')[4])).toEqual(grid.map(() => 'missing'));

    const one = await replicate([], 'one');
    expect(one.code, one.stderr).toBe(0);
    // --report before the grid is done: one sentence, exit 2
    const early = await replicate(['--report'], 'three');
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`--report: ${grid.length} of ${grid.length} runs in ${path.join(dir, 'three', 'runs', 'segnet', 'smoke')} are not done`);

    // A worker killed while training: its run is left with a lock and maybe a checkpoint, and the next worker on that shard takes it over.
    const killed = start(['--shard', '1/3'], 'three');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (/: training/.test(killed.out.stderr)) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    process.kill(-killed.child.pid!, 'SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const shards = await Promise.all([1, 2, 3].map((k) => replicate(['--shard', `${k}/3`], 'three')));
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    // each run is in one shard only: trained there, or found done there (the killed worker's finished runs) or resumed
    const mentioned = shards.flatMap((s) => [...s.stderr.matchAll(/^(.+), seed (\d+): (training|done earlier)/gm)].map((m) => `${m[1]} ${m[2]}`));
    expect(mentioned.sort()).toEqual(grid.map((r) => `${r.name} ${r.seed}`).sort());
    expect((await replicate(['--list'], 'three')).stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t')[4])).toEqual(grid.map(() => 'done'));
    const merged = await replicate(['--report'], 'three');
    expect(merged.code, merged.stderr).toBe(0);

    expect(withoutTimings(read('three', 'results.json'))).toEqual(withoutTimings(read('one', 'results.json')));
    // report.md: the same lines but for the cost table's last two cells (tensorflow ms, onnx ms)
    const lines = (folder: string) => read(folder, 'report.md').split('\n');
    const a = lines('one');
    const b = lines('three');
    expect(b).toHaveLength(a.length);
    const untimed = (l: string) => (l.startsWith('|') ? l.split('|').slice(0, -3).join('|') : l);
    a.forEach((l, i) => expect(untimed(b[i]!), `report.md line ${i + 1}`).toBe(untimed(l)));
  }, 600_000);
});
