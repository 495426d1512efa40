/**
 * Every SEG_* variable reaches every replication through turbo, which runs
 * tasks in strict env mode (a variable no task lists is dropped): the plan
 * of each replicate task, and a real `turbo run replicate` whose stderr names
 * the folders it was given.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const papers = readdirSync(path.join(root, 'experiments')).sort();
const dir = mkdtempSync(path.join(tmpdir(), 'seg-turbo-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** turbo as the README calls it: through the pinned pnpm, which turbo needs to find as the package manager. */
function turbo(args: string[], env: Record<string, string>) {
  return spawnSync('npx', ['-y', 'pnpm@12.4.2', 'turbo', ...args], { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', ...env }, encoding: 'utf8', timeout: 300_000 });
}

describe('turbo run replicate', () => {
  it('plans every replication with every SEG_* variable set', () => {
    const env = { SEG_PROFILE: 'smoke', SEG_DATA_DIR: '/x/data', SEG_DATA_MIRROR: '/x/mirror', SEG_RUNS_DIR: '/x/runs', SEG_REPORTS_DIR: '/x/reports', SEG_LOCK_STALE_S: '60', SEG_BACKEND: 'wasm', SEG_THREADS: '1' };
    const r = turbo(['run', 'replicate', '--dry=json', ...papers.flatMap((p) => ['--filter', p])], env);
    expect(r.status, r.stderr).toBe(0);
    const tasks = (JSON.parse(r.stdout) as { tasks: { taskId: string; environmentVariables: { configured: string[] } }[] }).tasks.filter((t) => t.taskId.endsWith('#replicate'));
    expect(tasks.map((t) => t.taskId.split('#')[0]).sort()).toEqual(papers);
    for (const t of tasks) expect(t.environmentVariables.configured.map((v) => v.split('=')[0]).sort(), t.taskId).toEqual(Object.keys(env).sort());
  });

  it('hands SEG_PROFILE, SEG_RUNS_DIR, SEG_REPORTS_DIR, SEG_DATA_DIR and SEG_DATA_MIRROR to the replication itself', () => {
    const mirror = path.join(dir, 'empty-mirror');
    mkdirSync(mirror, { recursive: true });
    const env = { SEG_PROFILE: 'smoke', SEG_RUNS_DIR: path.join(dir, 'runs'), SEG_REPORTS_DIR: path.join(dir, 'reports'), SEG_DATA_DIR: path.join(dir, 'data'), SEG_DATA_MIRROR: mirror };
    // --report before any run (U-Net: its data ship with seg): one sentence naming the smoke runs folder under SEG_RUNS_DIR
    const report = turbo(['run', 'replicate', '--filter', 'unet', '--', '--report'], env);
    expect(report.status).not.toBe(0);
    expect(report.stdout + report.stderr).toContain(`runs in ${path.join(dir, 'runs', 'unet', 'smoke')} are not done`);
    // a run: CamVid is looked for under SEG_DATA_DIR and fetched from SEG_DATA_MIRROR, which lacks it (no network is used)
    const run = turbo(['run', 'replicate', '--filter', 'fcn'], env);
    expect(run.status).not.toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toContain(`camvid is not in ${path.join(dir, 'data')}; fetching it first`);
    expect(out).toContain(`${path.join(mirror, 'camvid', 'CamVid')}`);
    expect(out).toMatch(/is not there; the mirror folder lacks this file/);
  });
});
