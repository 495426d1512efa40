/** Runs `seg` in this process, capturing its output; the engine line is dropped from stderr unless asked for. */
import { main } from '../src/index.js';

export async function seg(...argv: string[]) {
  return segWithEngineLine(...argv).then((r) => ({ ...r, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('seg: backend')).join('\n') }));
}

export async function segWithEngineLine(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
