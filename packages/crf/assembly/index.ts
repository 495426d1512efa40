// The dense CRF's WebAssembly module (compiled into src/wasm/crf-wasm.ts by
// scripts/build-wasm.ts; `pnpm --filter @seg/crf build:wasm` after editing).
export * from './lattice-build';
export * from './lattice-neighbours';
export * from './lattice-filter';
export * from './mean-field';
export * from './unary';
export * from './layout';
