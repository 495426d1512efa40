/** Latency statistics of a task with tinybench, in milliseconds. */
import { Bench } from 'tinybench';

export interface Timing {
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  samples: number;
}

export async function timeTask(name: string, fn: () => unknown, o: { iterations?: number; warmupIterations?: number } = {}): Promise<Timing> {
  const bench = new Bench({
    name,
    // The budget is the iteration count: one sample can take seconds.
    time: 0,
    iterations: o.iterations ?? 5,
    warmup: (o.warmupIterations ?? 1) > 0,
    warmupTime: 0,
    warmupIterations: o.warmupIterations ?? 1,
  });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') {
    const err = (result as { error?: Error }).error;
    throw err ?? new Error(`benchmark ${name} did not complete (${result.state})`);
  }
  const { latency } = result;
  return { mean_ms: latency.mean, p50_ms: latency.p50, p99_ms: latency.p99, samples: latency.samples?.length ?? o.iterations ?? 5 };
}
