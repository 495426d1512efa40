/**
 * The engines seg computes on, in the order `auto` tries them (cpu, the
 * slow numerical reference, only when asked for). The one list: SEG_BACKEND,
 * seg's help, bench's --engines and the test runner's passes come from it.
 */
export const ENGINES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type Engine = (typeof ENGINES)[number];

/** SEG_BACKEND's values. */
export const BACKEND_CHOICES = ['auto', ...ENGINES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
