/**
 * The GPU engine that installs from npm alone: Dawn's Node bindings (the
 * `webgpu` package, a prebuilt dawn.node that loads Vulkan, Metal or D3D12 at
 * run time) under tfjs's webgpu backend, which has the training kernels.
 *
 * - Node 20 has no `navigator`; the backend module registers itself only
 *   when navigator.gpu exists, so it gets one that hands over the adapter
 *   chosen here.
 * - A hardware adapter is asked for first. Without one, Mesa's llvmpipe
 *   through OpenGL ES (EGL_PLATFORM=surfaceless, featureLevel
 *   'compatibility') is a software adapter: right answers, slowly, so only an
 *   explicit SEG_BACKEND=webgpu takes it, never auto.
 * - Reading a GPU tensor synchronously (dataSync) fails in Node (tfjs reaches
 *   for OffscreenCanvas): everything that runs in a loop reads with await.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { tf } from './tf.js';

export interface WebGpuInfo {
  /** The adapter's name as Dawn reports it, e.g. "NVIDIA H200" or "llvmpipe-llvm-15-0-6-256-bits-". */
  adapter: string;
  /** Dawn's description, e.g. "OpenGL version OpenGL ES 3.2 Mesa 22.3.6". */
  description: string;
  /** A CPU rasteriser posing as a GPU (llvmpipe, lavapipe, SwiftShader, WARP): for correctness, not speed. */
  software: boolean;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info: AdapterInfo;
}
interface Gpu {
  requestAdapter(o?: Record<string, unknown>): Promise<Adapter | null>;
}
interface Dawn {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|microsoft basic render/i;

const nameOf = (info: AdapterInfo) => info.device || info.description || info.vendor || 'unnamed adapter';
export const isSoftwareAdapter = (info: AdapterInfo) => info.isFallbackAdapter === true || SOFTWARE.test(`${info.device ?? ''} ${info.description ?? ''} ${info.vendor ?? ''}`);

/**
 * Whether Dawn could find a hardware adapter at all: on Linux it reaches GPUs
 * through Vulkan, so without the Vulkan loader there is none to find (and the
 * probe would only print Dawn's "Couldn't load Vulkan" on stderr).
 */
function hardwarePossible(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib'];
  return dirs.some((d) => existsSync(path.join(d, 'libvulkan.so.1')));
}

let loaded: WebGpuInfo | undefined;
/** Dawn's instances: the adapter and device die with theirs, so they are kept for the life of the process (a collected one crashed the next kernel). */
const instances: Gpu[] = [];
const instance = (dawn: Dawn, flags: string[]) => {
  const gpu = dawn.create(flags);
  instances.push(gpu);
  return gpu;
};

/**
 * Registers tfjs's webgpu backend on Dawn's best adapter and makes it the
 * active backend; throws one sentence saying why not (the packages missing,
 * no adapter, or only a software one when `allowSoftware` is false).
 */
export async function loadWebGpu(allowSoftware: boolean): Promise<WebGpuInfo> {
  if (loaded && (allowSoftware || !loaded.software)) {
    await tf.setBackend('webgpu');
    return loaded;
  }
  const hardware = hardwarePossible();
  if (!allowSoftware && !hardware) throw new Error('webgpu: no GPU adapter (no Vulkan loader, libvulkan.so.1, to reach one)');
  let dawn: Dawn;
  try {
    dawn = (await import('webgpu')) as unknown as Dawn;
  } catch (err) {
    throw new Error(`the webgpu package (Dawn; an optional dependency of @seg/core) could not be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  // GPUBufferUsage, GPUMapMode, GPUShaderStage...: the backend reads them as globals.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  let adapter = hardware ? await instance(dawn, []).requestAdapter({ powerPreference: 'high-performance' }) : null;
  if (!adapter || isSoftwareAdapter(adapter.info)) {
    const found = adapter ? `only a software adapter (${nameOf(adapter.info)})` : hardware ? 'no GPU adapter (Dawn found no Vulkan, Metal or D3D12 device)' : 'no GPU adapter (no Vulkan loader, libvulkan.so.1, to reach one)';
    if (!allowSoftware) throw new Error(`webgpu: ${found}`);
    // Mesa's llvmpipe through EGL without a display.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    adapter = await instance(dawn, ['backend=opengles']).requestAdapter({ featureLevel: 'compatibility' });
    if (!adapter) throw new Error(`webgpu: ${found}, and no software adapter either (Mesa's EGL and llvmpipe, e.g. Debian's libegl-mesa0 and libgl1-mesa-dri, provide one)`);
  }
  const chosen = adapter;
  const gpu = { requestAdapter: async () => chosen, getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: new Set<string>() };
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new Error(`@tensorflow/tfjs-backend-webgpu (an optional dependency of @seg/core) could not be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error(`webgpu: tfjs's webgpu backend did not start on ${nameOf(chosen.info)}`);
  await tf.ready();
  loaded = { adapter: nameOf(chosen.info), description: chosen.info.description ?? '', software: isSoftwareAdapter(chosen.info) };
  return loaded;
}
