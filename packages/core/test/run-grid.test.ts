/** The run grid: flags, shards that cover the grid once with chains kept together, run status, and one worker per run. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configHash, CORE_DATA_DIR, engineRecord, gridListing, InputError, parseGridArgs, replicationDirs, runAll, runProvenance, runReplication, runSelected, runStatus, selectRuns, shardRuns, type GridRun } from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seg-grid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two seeds of a staged pipeline (b and c start from a, d from b) and two free-standing runs per seed.
const grid: GridRun[] = [1, 2].flatMap((seed) => [
  { id: `a-s${seed}`, variant: 'A', seed, config: { v: 'A', seed } },
  { id: `b-s${seed}`, variant: 'B', seed, config: { v: 'B', seed }, after: `a-s${seed}` },
  { id: `x-s${seed}`, variant: 'X', seed, config: { v: 'X', seed } },
  { id: `c-s${seed}`, variant: 'C', seed, config: { v: 'C', seed }, after: `a-s${seed}` },
  { id: `d-s${seed}`, variant: 'D', seed, config: { v: 'D', seed }, after: `b-s${seed}` },
  { id: `y-s${seed}`, variant: 'Y', seed, config: { v: 'Y', seed } },
]);

describe('parseGridArgs', () => {
  it('reads the flags, in both spellings, and refuses what it does not know in one sentence', () => {
    expect(parseGridArgs([])).toEqual({ list: false, report: false });
    expect(parseGridArgs(['--shard', '2/8'])).toEqual({ list: false, report: false, shard: { k: 2, n: 8 } });
    expect(parseGridArgs(['--shard=8/8']).shard).toEqual({ k: 8, n: 8 });
    expect(parseGridArgs(['--run', 'a-s1', '--run=b-s1']).run).toEqual(['a-s1', 'b-s1']);
    expect(parseGridArgs(['--list']).list).toBe(true);
    expect(parseGridArgs(['--report']).report).toBe(true);
    for (const [argv, message] of [
      [['--shard', '0/3'], '--shard 0/3: expected K/N with 1 <= K <= N'],
      [['--shard', '4/3'], '--shard 4/3: expected K/N'],
      [['--shard', '2'], '--shard 2: expected K/N'],
      [['--shard'], '--shard needs a value'],
      [['--run', '--list'], '--run needs a value'],
      [['--shard', '1/2', '--run', 'a'], 'give --shard or --run, not both'],
      [['--report', '--shard', '1/2'], '--report merges every run'],
      [['--list', '--report'], '--list prints the whole grid'],
      [['--frobnicate'], 'unknown argument --frobnicate'],
    ] as [string[], string][]) {
      let err: unknown;
      try {
        parseGridArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(InputError);
      expect((err as Error).message, argv.join(' ')).toContain(message);
    }
  });
});

describe('shards', () => {
  it('cover the grid exactly once for any N, keep each chain in one shard in grid order, and are the same every time', () => {
    for (let n = 1; n <= 7; n++) {
      const shards = Array.from({ length: n }, (_, k) => shardRuns(grid, k + 1, n));
      const ids = shards.flat().map((r) => r.id);
      expect(ids.sort(), `N=${n}`).toEqual(grid.map((r) => r.id).sort());
      for (const s of shards) {
        // grid order inside a shard, so a chain's earlier run comes first
        expect(s.map((r) => grid.indexOf(r))).toEqual([...s.map((r) => grid.indexOf(r))].sort((a, b) => a - b));
        for (const r of s) if (r.after) expect(s.some((x) => x.id === r.after), `${r.id} with ${r.after}, N=${n}`).toBe(true);
      }
      expect(Array.from({ length: n }, (_, k) => shardRuns(grid, k + 1, n))).toEqual(shards);
    }
    // 6 chains in grid order: a-s1 (4 runs), x-s1, y-s1, a-s2 (4), x-s2, y-s2; each to the share with the fewest runs
    expect(shardRuns(grid, 1, 3).map((r) => r.id)).toEqual(['a-s1', 'b-s1', 'c-s1', 'd-s1']);
    expect(shardRuns(grid, 2, 3).map((r) => r.id)).toEqual(['x-s1', 'a-s2', 'b-s2', 'c-s2', 'd-s2']);
    expect(shardRuns(grid, 3, 3).map((r) => r.id)).toEqual(['y-s1', 'x-s2', 'y-s2']);
  });

  it('refuses a grid whose run starts from a later or unknown run', () => {
    expect(() => shardRuns([{ id: 'b', variant: 'B', seed: 1, config: {}, after: 'a' }, { id: 'a', variant: 'A', seed: 1, config: {} }], 1, 2)).toThrow('Run b starts from a, which is not an earlier run of the grid.');
  });
});

describe('run status, --run and --list', () => {
  it('tells done, partial and missing runs (a folder for another config is missing), and --run needs its chain done', () => {
    const runs = path.join(dir, 'status');
    const write = (id: string, config: unknown, result: boolean) => {
      mkdirSync(path.join(runs, id), { recursive: true });
      writeFileSync(path.join(runs, id, 'experiment.json'), JSON.stringify(config));
      if (result) writeFileSync(path.join(runs, id, 'result.json'), '{}');
    };
    write('a-s1', { v: 'A', seed: 1 }, true);
    write('b-s1', { v: 'B', seed: 1 }, false);
    mkdirSync(path.join(runs, 'b-s1', 'checkpoint'));
    write('x-s1', { v: 'X', seed: 99 }, true);
    expect(grid.slice(0, 4).map((r) => runStatus(runs, r))).toEqual(['done', 'partial', 'missing', 'missing']);
    const lines = gridListing(grid, runs).trimEnd().split('\n');
    expect(lines).toHaveLength(grid.length + 1);
    expect(lines[0]).toBe('id\tvariant\tseed\tconfig\tstatus\tstarts from');
    expect(lines[2]).toBe(`b-s1\tB\t1\t${configHash({ v: 'B', seed: 1 })}\tpartial\ta-s1`);
    expect(configHash({ v: 'B', seed: 1 })).toMatch(/^[0-9a-f]{12}$/);
    expect(configHash({ v: 'B', seed: 1 })).not.toBe(configHash({ v: 'B', seed: 2 }));
    // b's predecessor a is done; d's predecessor b is not
    expect(selectRuns(grid, { list: false, report: false, run: ['b-s1'] }, runs).map((r) => r.id)).toEqual(['b-s1']);
    expect(() => selectRuns(grid, { list: false, report: false, run: ['d-s1'] }, runs)).toThrow('--run d-s1: it starts from b-s1, which is not done');
    expect(selectRuns(grid, { list: false, report: false, run: ['d-s1', 'b-s1'] }, runs).map((r) => r.id)).toEqual(['b-s1', 'd-s1']);
    expect(() => selectRuns(grid, { list: false, report: false, run: ['zz'] }, runs)).toThrow('--run zz: no such run in this grid');
  });

  it('a folder holding only the experiment.json written before training is not started: missing in --list, and --report re-renders the committed results.json', async () => {
    const root = path.join(dir, 'never-trained');
    const runs = path.join(root, 'runs', 'paper', 'p');
    const reports = path.join(root, 'reports', 'paper');
    // every run failed before training (e.g. its data was missing): experiment.json, and nothing else
    for (const r of grid) {
      mkdirSync(path.join(runs, r.id), { recursive: true });
      writeFileSync(path.join(runs, r.id, 'experiment.json'), JSON.stringify(r.config));
    }
    expect(grid.map((r) => runStatus(runs, r))).toEqual(grid.map(() => 'missing'));
    expect(gridListing(grid, runs).trimEnd().split('\n')[1]).toBe(`a-s1\tA\t1\t${configHash({ v: 'A', seed: 1 })}\tmissing\t-`);
    // a checkpoint (or the copy a run killed mid-save set aside) makes it partial
    mkdirSync(path.join(runs, 'a-s1', 'checkpoint.old-42-1700000000000'));
    expect(runStatus(runs, grid[0]!)).toBe('partial');
    rmSync(path.join(runs, 'a-s1', 'checkpoint.old-42-1700000000000'), { recursive: true });

    mkdirSync(reports, { recursive: true });
    writeFileSync(path.join(reports, 'results.json'), '{"runs": []}');
    const keep = { env: { ...process.env }, argv: process.argv, exitCode: process.exitCode, write: process.stderr.write };
    const logged: string[] = [];
    let rewritten = 0;
    try {
      process.env.SEG_RUNS_DIR = path.join(root, 'runs');
      process.env.SEG_REPORTS_DIR = path.join(root, 'reports');
      process.argv = [process.execPath, 'main.js', '--report'];
      process.stderr.write = ((s: string) => logged.push(s) > 0) as typeof process.stderr.write;
      const fail = async () => {
        throw new Error('no run or merge may start');
      };
      await runReplication('paper', root, 'isbi2012', (dirs) => ({ profile: 'p', runsDir: path.join(dirs.runsDir, 'p'), reportsDir: dirs.reportsDir, runs: grid, runOne: fail, merge: fail }), async () => void rewritten++);
      // nor does it need the dataset, which some plans read (PSPNet's class weights): the plan does not run
      process.env.SEG_DATA_DIR = path.join(root, 'no-data');
      await runReplication('paper', root, 'camvid', () => {
        throw new Error('the plan may not run');
      }, async () => void rewritten++);
    } finally {
      process.stderr.write = keep.write;
      process.env = keep.env;
      process.argv = keep.argv;
    }
    const exitCode = process.exitCode;
    process.exitCode = keep.exitCode;
    expect(logged.join('')).toContain('report.md re-rendered from the committed results.json');
    expect(rewritten).toBe(2);
    expect(exitCode).toBe(keep.exitCode);
  });
});

describe('one worker per run', () => {
  const lockOf = (runs: string, id: string) => path.join(runs, id, '.job.lock');
  const one = [grid[0]!];

  it('a live worker on this machine holds its run: a second refuses in one sentence; the lock goes with the run', async () => {
    const runs = path.join(dir, 'live');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      mkdirSync(path.join(runs, 'a-s1'), { recursive: true });
      writeFileSync(lockOf(runs, 'a-s1'), JSON.stringify({ pid: child.pid, host: hostname(), started: '2026-12-02T00:00:00.000Z' }));
      let ran = false;
      const err = await runSelected(one, runs, async () => void (ran = true), () => {}).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toContain(`is in use by another run (process ${child.pid} on ${hostname()}`);
      expect(err.message).toContain('no two were given the same --shard or --run');
      expect(ran).toBe(false);
    } finally {
      child.kill();
    }
  });

  it("a dead worker's lock is taken over (same host: its pid is gone; another host: its lock went untouched for SEG_LOCK_STALE_S)", async () => {
    const runs = path.join(dir, 'dead');
    mkdirSync(path.join(runs, 'a-s1'), { recursive: true });
    const seen: boolean[] = [];
    const runOne = async () => void seen.push(existsSync(lockOf(runs, 'a-s1')));
    // this host, a pid that has exited
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    writeFileSync(lockOf(runs, 'a-s1'), JSON.stringify({ pid: gone.pid, host: hostname(), started: '2026-12-02T00:00:00.000Z' }));
    await runSelected(one, runs, runOne, () => {});
    // another machine: a fresh lock is waited on for one stale window (SEG_LOCK_STALE_S); taken over if nobody touched it meanwhile
    const keep = process.env.SEG_LOCK_STALE_S;
    process.env.SEG_LOCK_STALE_S = '1';
    try {
      const other = JSON.stringify({ pid: 1, host: 'node-17.cluster', started: '2026-12-02T00:00:00.000Z' });
      writeFileSync(lockOf(runs, 'a-s1'), other);
      const said: string[] = [];
      await runSelected(one, runs, runOne, (s) => said.push(s));
      expect(said[0]).toMatch(/locked by process 1 on node-17\.cluster; waiting \d s to see whether that worker still runs$/);
      // ... and refused if its worker keeps touching it (alive)
      writeFileSync(lockOf(runs, 'a-s1'), other);
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimesSync(lockOf(runs, 'a-s1'), now, now);
      }, 100);
      const alive = await runSelected(one, runs, runOne, () => {}).catch((e) => e);
      clearInterval(heartbeat);
      expect(alive).toBeInstanceOf(InputError);
      expect(alive.message).toContain('(process 1 on node-17.cluster');
      rmSync(lockOf(runs, 'a-s1'));
    } finally {
      if (keep === undefined) delete process.env.SEG_LOCK_STALE_S;
      else process.env.SEG_LOCK_STALE_S = keep;
    }
    // the worker held the lock while it ran, and left none
    expect(seen).toEqual([true, true]);
    expect(existsSync(lockOf(runs, 'a-s1'))).toBe(false);
  });
});

describe('replicationDirs', () => {
  it('moves runs, reports and data with SEG_RUNS_DIR, SEG_REPORTS_DIR and SEG_DATA_DIR; ISBI falls back to the copy that ships with seg', () => {
    const keep = { ...process.env };
    try {
      delete process.env.SEG_RUNS_DIR;
      delete process.env.SEG_REPORTS_DIR;
      process.env.XDG_CACHE_HOME = '/nonexistent/cache';
      delete process.env.SEG_DATA_DIR;
      expect(replicationDirs('fcn', '/repo', 'camvid')).toEqual({ dataDir: '/nonexistent/cache/seg/data/camvid', runsDir: '/repo/experiments/fcn/runs', reportsDir: '/repo/reports/fcn' });
      expect(replicationDirs('unet', '/repo', 'isbi2012').dataDir).toBe(path.join(CORE_DATA_DIR, 'isbi2012'));
      process.env.SEG_RUNS_DIR = '/mnt/runs';
      process.env.SEG_REPORTS_DIR = '/mnt/reports';
      process.env.SEG_DATA_DIR = '/mnt/data';
      expect(replicationDirs('fcn', '/repo', 'camvid')).toEqual({ dataDir: '/mnt/data/camvid', runsDir: '/mnt/runs/fcn', reportsDir: '/mnt/reports/fcn' });
    } finally {
      process.env = keep;
    }
  });
});

describe('runAll and runProvenance', () => {
  it('runAll runs every run in grid order, then merges once and returns the merge', async () => {
    const order: string[] = [];
    const merged = await runAll({
      profile: 'p',
      runsDir: dir,
      reportsDir: dir,
      runs: grid,
      runOne: async (r) => {
        order.push(r.id);
      },
      merge: async () => {
        order.push('merge');
        return order.length;
      },
    });
    expect(order).toEqual([...grid.map((r) => r.id), 'merge']);
    expect(merged).toBe(grid.length + 1);
  });

  it("runProvenance records the running engine and the packages it is given, in results.json's order", () => {
    const p = runProvenance({ '@seg/core': '1.2.3' });
    expect(Object.keys(p)).toEqual(['backend', 'engine', 'packages']);
    expect(p.engine).toEqual(engineRecord());
    expect(p.backend).toBe(engineRecord().backend);
    expect(p.packages).toEqual({ '@seg/core': '1.2.3' });
  });
});
