/** The one engine list, each engine's module, and what of TensorFlow's load-time log reaches stderr. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, describeEngine, ENGINE_MODULES, ENGINES, engineModule, parseBackendChoice, type EngineInfo, type EngineRecord } from '../src/index.js';
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
    expect(names.ENGINE_MODULES).toBe(ENGINE_MODULES);
  });

  it('is the names of the engine modules, none listed twice, each a SEG_BACKEND value', () => {
    expect([...ENGINES]).toEqual(ENGINE_MODULES.map((m) => m.name));
    expect(new Set(ENGINES).size).toBe(ENGINES.length);
    for (const e of ENGINES) {
      expect(e).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(e).not.toBe('auto');
      expect(engineModule(e)!.name).toBe(e);
    }
  });

  it('scripts/test-engines.mjs takes the engines and their passes from @seg/core/names, with no list of its own', () => {
    const script = readFileSync(new URL('../../../scripts/test-engines.mjs', import.meta.url), 'utf8');
    expect(script).toMatch(/import\(pathToFileURL\(join\(core, 'names\.js'\)\)\.href\)/);
    for (const e of ENGINES) expect(script, e).not.toMatch(new RegExp(`['"\`]${e}['"\`]`));
  });
});

describe('engine modules', () => {
  it('each has every part', () => {
    for (const m of ENGINE_MODULES) {
      expect(['prefer', 'quiet', 'fallback', 'never'], `${m.name}.auto`).toContain(m.auto);
      expect(['suite', 'own', 'reference'], `${m.name}.testPass`).toContain(m.testPass);
      for (const part of ['load', 'describe', 'record', 'slow'] as const) expect(typeof m[part], `${m.name}.${part}`).toBe('function');
      expect(typeof m.memory?.place, `${m.name}.memory.place`).toBe('function');
    }
  });

  it('auto tries engines up to exactly one fallback, and the suite runs on at least one', () => {
    const autos = ENGINE_MODULES.map((m) => m.auto);
    expect(autos.filter((a) => a === 'fallback')).toHaveLength(1);
    // an engine after the fallback would never be tried
    for (const a of autos.slice(autos.indexOf('fallback') + 1)) expect(a).toBe('never');
    expect(ENGINE_MODULES.some((m) => m.testPass === 'suite')).toBe(true);
  });

  it("say each engine's part of the engine line and results.json's record", () => {
    const cases: [EngineInfo, string, EngineRecord][] = [
      [
        { backend: 'tensorflow', threads: 2, provider: '@tensorflow/tfjs-node', version: '2.21.0' },
        'seg: backend tensorflow via @tensorflow/tfjs-node (TensorFlow 2.21.0), 2 threads',
        { backend: 'tensorflow', provider: '@tensorflow/tfjs-node', tensorflow: '2.21.0', threads: 2 },
      ],
      [
        { backend: 'webgpu', threads: 1, adapter: 'llvmpipe-llvm-15-0-6-256-bits-', software: true },
        'seg: backend webgpu on llvmpipe-llvm-15-0-6-256-bits- (a software adapter: correct, not fast)',
        { backend: 'webgpu', adapter: 'llvmpipe-llvm-15-0-6-256-bits-', software: true, threads: 1 },
      ],
      [{ backend: 'webgpu', threads: 1, adapter: 'NVIDIA H200', software: false }, 'seg: backend webgpu on NVIDIA H200', { backend: 'webgpu', adapter: 'NVIDIA H200', software: false, threads: 1 }],
      [{ backend: 'wasm', threads: 1 }, 'seg: backend wasm, 1 thread', { backend: 'wasm', threads: 1 }],
      [{ backend: 'cpu', threads: 1 }, 'seg: backend cpu, 1 thread', { backend: 'cpu', threads: 1 }],
    ];
    for (const [info, line, record] of cases) {
      expect(describeEngine(info)).toBe(line);
      // key order too: results.json is written as the record's JSON
      expect(JSON.stringify(engineModule(info.backend)!.record(info))).toBe(JSON.stringify(record));
    }
    expect(describeEngine({ backend: 'wasm', threads: 8, note: 'why not tensorflow' }, '1.30.0')).toBe(
      'seg: backend onnxruntime-node 1.30.0 (CPU) for the network; pre- and post-processing on wasm, 8 threads\nseg: why not tensorflow',
    );
  });

  it('load without tfjs: @seg/core/names, which lists them, imports no tfjs package', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // Static imports and re-exports that stay in the JavaScript (not `import type`); dynamic import() loads later.
      for (const [, spec] of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm)) {
        if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
        else packages.add(spec!);
      }
    };
    visit(path.join(src, 'names.ts'));
    for (const m of ENGINES) expect(seen.has(path.join(src, 'engine', `${m}-engine.ts`)), m).toBe(true);
    expect(seen.has(path.join(src, 'engine', 'tf.ts'))).toBe(false);
    expect([...packages].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
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
