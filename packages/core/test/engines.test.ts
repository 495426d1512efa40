/** The one engine list, and what of TensorFlow's load-time log reaches stderr. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, ENGINES, parseBackendChoice } from '../src/index.js';
import * as names from '../src/names.js';
import { keptLogText, tensorflowLogLevel } from '../src/engine/tensorflow-log.js';

describe('ENGINES', () => {
  it('is every engine, webgpu included, and SEG_BACKEND takes auto and each of them', () => {
    expect([...ENGINES]).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect([...BACKEND_CHOICES]).toEqual(['auto', ...ENGINES]);
    for (const e of ENGINES) expect(parseBackendChoice(e)).toBe(e);
    expect(() => parseBackendChoice('gpu')).toThrow('SEG_BACKEND must be one of auto, tensorflow, webgpu, wasm, cpu (got "gpu").');
    // @seg/core/names gives the same list without loading tfjs
    expect(names.ENGINES).toBe(ENGINES);
  });

  it('agrees with the list scripts/test-engines.mjs runs the suite by', () => {
    const script = readFileSync(new URL('../../../scripts/test-engines.mjs', import.meta.url), 'utf8');
    const list = /^const ENGINES = (\[[^\]]*\]);$/m.exec(script)?.[1];
    expect(list).toBeDefined();
    expect(JSON.parse(list!.replace(/'/g, '"'))).toEqual([...ENGINES]);
  });
});

describe("TensorFlow's load-time log", () => {
  // What libtensorflow_framework.so.2 writes to fd 2 while it loads, on a CPU where oneDNN is on.
  const loadLog = [
    'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
    'I0000 00:00:1796665149.544563    5738 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.',
    'I0000 00:00:1796665149.599214    5738 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.',
    'To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.',
    '',
  ].join('\n');

  it('reads TF_CPP_MIN_LOG_LEVEL as TensorFlow does', () => {
    expect(tensorflowLogLevel(undefined)).toBe(0);
    expect(tensorflowLogLevel('2')).toBe(2);
    expect(tensorflowLogLevel('7')).toBe(3);
    expect(tensorflowLogLevel('x')).toBe(0);
  });

  it('keeps no INFO line (nor Abseil\'s preamble) at levels 1 to 3, and everything at 0', () => {
    for (const level of [1, 2, 3]) expect(keptLogText(loadLog, level)).toBe('');
    expect(keptLogText(loadLog, 0)).toBe(loadLog);
  });

  it('keeps errors at level 2, with their continuation lines and the preamble, and output that is not TensorFlow\'s', () => {
    const error = 'E0000 00:00:1796665149.600000    5738 cuda_dnn.cc:8310] Unable to register cuDNN factory\nsecond line of it\n';
    const tsl = '2024-01-02 03:04:05.678901: W tensorflow/core/framework/op_kernel.cc:1830] a warning\n';
    expect(keptLogText(`${loadLog}${error}${tsl}`, 2)).toBe(`WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n${error}`);
    expect(keptLogText(`${tsl}`, 1)).toBe(tsl);
    expect(keptLogText('something else a library printed\n', 3)).toBe('something else a library printed\n');
  });
});
