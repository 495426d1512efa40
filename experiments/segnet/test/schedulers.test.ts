/**
 * cluster/'s Slurm array and Kubernetes Indexed Job for SegNet's full profile
 * (they cannot run here): parsed, and held to the grid `replicate --list`
 * prints, so a change to the grid that leaves them stale fails here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { planReplication, shardRuns } from '@seg/core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PROFILES } from '../src/profiles.js';
import { replication } from '../src/replication.js';

const cluster = path.resolve(__dirname, '../../../cluster');
// The grid `replicate --list` deals (planning reads no data and starts no engine).
const { runs: grid } = await planReplication(replication, { profile: PROFILES.full, dataDir: '/nonexistent', runsDir: '/nonexistent', reportsDir: '/nonexistent' });
const n = grid.length;

interface Container {
  name: string;
  args: string[];
  env: { name: string; value: string }[];
}
interface JobSpec {
  kind: string;
  metadata: { name: string };
  spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { restartPolicy: string; containers: Container[]; initContainers?: Container[] } } };
}

describe('cluster/ job files for SegNet, full profile', () => {
  it('every one of the N shares holds at least one run, so N array tasks are N runs of work', () => {
    expect(n).toBe(27);
    for (let k = 1; k <= n; k++) expect(shardRuns(grid, k, n).length, `share ${k}`).toBeGreaterThan(0);
  });

  it('the Slurm array has one task per run and passes its task id as the shard; the merge job runs --report; both are valid bash', () => {
    const array = readFileSync(path.join(cluster, 'segnet-full.sbatch'), 'utf8');
    const directive = (name: string) => [...array.matchAll(new RegExp(`^#SBATCH --${name}=(.+)$`, 'gm'))].map((m) => m[1]);
    expect(directive('array')).toEqual([`1-${n}`]);
    expect(array).toContain(`--shard "\${SLURM_ARRAY_TASK_ID}/${n}"`);
    expect(array).toMatch(/^export SEG_PROFILE=full$/m);
    const merge = readFileSync(path.join(cluster, 'segnet-full-report.sbatch'), 'utf8');
    expect(merge).toContain('replicate -- --report');
    expect(merge).toMatch(/^export SEG_PROFILE=full$/m);
    for (const f of ['segnet-full.sbatch', 'segnet-full-report.sbatch']) {
      const check = spawnSync('bash', ['-n', path.join(cluster, f)], { encoding: 'utf8' });
      expect(check.status, `${f}: ${check.stderr}`).toBe(0);
    }
  });

  it('the Kubernetes Indexed Job completes once per run, maps its 0-based index to the 1-based shard, and the report Job waits for all N', () => {
    const docs = parseAllDocuments(readFileSync(path.join(cluster, 'segnet-full.k8s.yaml'), 'utf8'));
    for (const d of docs) expect(d.errors, String(d.errors)).toEqual([]);
    const [runs, report] = docs.map((d) => d.toJS() as JobSpec);
    expect(runs!.kind).toBe('Job');
    expect(runs!.spec.completionMode).toBe('Indexed');
    expect(runs!.spec.completions).toBe(n);
    const worker = runs!.spec.template.spec.containers[0]!;
    expect(worker.args.join(' ')).toContain(`--shard "$((JOB_COMPLETION_INDEX + 1))/${n}"`);
    const env = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    expect(env(worker)).toMatchObject({ SEG_PROFILE: 'full' });
    const wait = report!.spec.template.spec.initContainers![0]!;
    expect(wait.args.join(' ')).toContain(`= ${n} ]`);
    const merge = report!.spec.template.spec.containers[0]!;
    expect(merge.args.join(' ')).toContain('replicate -- --report');
    // the merge reads the runs folder the workers wrote
    for (const key of ['SEG_PROFILE', 'SEG_RUNS_DIR', 'SEG_REPORTS_DIR', 'SEG_DATA_DIR']) expect(env(merge)[key], key).toBe(env(worker)[key]);
    expect(env(wait).SEG_RUNS_DIR).toBe(env(worker).SEG_RUNS_DIR);
  });
});
