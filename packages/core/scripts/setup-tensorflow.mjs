#!/usr/bin/env node
/**
 * Builds tfjs-node's native addon so SEG_BACKEND=tensorflow (and auto) can
 * use TensorFlow's own kernels. Runs as @seg/core's postinstall; never fails
 * the install: when no TensorFlow library can be had, it says so in one line
 * and seg runs on wasm.
 *
 * Why not tfjs-node's own install script: it downloads libtensorflow from
 * Google's storage and, when that fails, nothing works. Here the library
 * comes from the first of:
 *   1. SEG_TENSORFLOW_DIR: a folder the user points to (a libtensorflow
 *      tarball unpacked: include/ and lib/; or a TensorFlow wheel's
 *      tensorflow/ folder). This is the way for @tensorflow/tfjs-node-gpu.
 *   2. tfjs-node's own download (the same address its script uses,
 *      libtensorflow 2.9.1, honouring TFJS_NODE_CDN_STORAGE / _BASE_URI).
 *   3. The pinned tensorflow-cpu wheel from pip (PyPI, or the machine's own
 *      wheel store), its sha256 checked. The wheel's C library is used;
 *      none of its Python runs.
 * Then node-pre-gyp builds binding/*.cc against it, and a child process
 * loads the result and runs one op.
 *
 * Where an engine loads, it also builds native/stderr-redirect (see
 * buildStderrRedirect).
 *
 * SEG_TENSORFLOW=skip skips all of this; SEG_TENSORFLOW=force rebuilds.
 * Details of every step go to node_modules/.cache/seg-tensorflow/setup.log.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { arch, platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

/** The wheel whose C library we build against (any cp311 manylinux x86_64 Python reads it; we only unzip it). */
export const WHEEL = {
  project: 'tensorflow-cpu',
  version: '2.21.0',
  file: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  python: '3.11',
  platform: 'manylinux_2_27_x86_64',
};
const LIBTENSORFLOW_VERSION = '2.9.1';
const PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
// The headers binding/*.cc includes, and what they include in turn.
const HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/'];

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = resolve(here, '..');
const require = createRequire(join(coreDir, 'package.json'));
const cacheDir = findCacheDir();
const logFile = join(cacheDir, 'setup.log');

function findCacheDir() {
  // The workspace's node_modules/.cache when installed in the repo, else core's own.
  let dir = coreDir;
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return join(dir, 'node_modules', '.cache', 'seg-tensorflow');
    dir = dirname(dir);
  }
  return join(coreDir, 'node_modules', '.cache', 'seg-tensorflow');
}

function log(line) {
  appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
}

function say(line) {
  process.stderr.write(`seg: ${line}\n`);
  log(line);
}

/**
 * zx as every command here runs: quiet and without its command echo (what
 * `pnpm install` shows is this script's own lines, whatever ZX_VERBOSE
 * says), and not throwing: each step reads the exit itself.
 */
const sh = $({ quiet: true, verbose: false, nothrow: true });

/** sh, with the command, its exit and the end of its output in the log: run(opts)`cmd`. */
function run(opts = {}) {
  return async (pieces, ...args) => {
    const p = sh(opts)(pieces, ...args);
    log(`$ ${p.cmd}${opts.cwd ? ` (in ${opts.cwd})` : ''}`);
    const r = await p;
    log(`exit ${r.exitCode}${r.cause ? ` (${r.cause.message})` : ''}\n${r.stdout.slice(-4000)}${r.stderr.slice(-8000)}`);
    return r;
  };
}

/** `--nodedir=` for Node's headers beside its binary (Debian's nodejs, official tarballs): no header download. */
function nodeDirArgs(header) {
  const nodeDir = resolve(dirname(process.execPath), '..');
  return existsSync(join(nodeDir, 'include', 'node', header)) ? [`--nodedir=${nodeDir}`] : [];
}

/** Loads the package in a fresh process and runs one op: the only proof that counts. */
async function probe(pkgDir) {
  const code = `const tf=require(${JSON.stringify(pkgDir)});tf.add(tf.scalar(1),tf.scalar(2)).dataSync();process.stdout.write(tf.backend().binding.TF_Version)`;
  const r = await run({ env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } })`${process.execPath} -e ${code}`;
  return r.ok ? r.stdout.trim() : undefined;
}

function sha256(file) {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => ok(h.digest('hex'))).on('error', fail);
  });
}

/** Copies (or links) a library folder's files into deps/ under the names binding.gyp links against. */
function stageLibrary(deps, libDir, includeDir) {
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  const names = readdirSync(libDir).filter((f) => /^libtensorflow(_cc|_framework)?\.so(\.\d+)*$/.test(f));
  for (const f of names) symlinkSync(join(libDir, f), join(deps, 'lib', f));
  const pick = (re) => names.filter((f) => re.test(f)).sort((a, b) => a.length - b.length)[0];
  const main = pick(/^libtensorflow(_cc)?\.so/);
  const framework = pick(/^libtensorflow_framework\.so/);
  if (!main || !framework) throw new Error(`${libDir} holds no libtensorflow.so.2 (or libtensorflow_cc.so.2) and libtensorflow_framework.so.2`);
  if (!existsSync(join(deps, 'lib', 'libtensorflow.so'))) symlinkSync(main, join(deps, 'lib', 'libtensorflow.so'));
  if (!existsSync(join(deps, 'lib', 'libtensorflow_framework.so'))) symlinkSync(framework, join(deps, 'lib', 'libtensorflow_framework.so'));
  // tfjs-node's install script looks for this name before it downloads.
  const expected = `libtensorflow.so.${LIBTENSORFLOW_VERSION}`;
  if (!existsSync(join(deps, 'lib', expected))) symlinkSync(main, join(deps, 'lib', expected));
  if (!existsSync(join(includeDir, 'tensorflow', 'c', 'c_api.h'))) throw new Error(`${includeDir} has no tensorflow/c/c_api.h`);
  symlinkSync(includeDir, join(deps, 'include'));
}

/** 1. A folder the user named. */
function fromUserDir(deps) {
  const dir = resolve(process.env.SEG_TENSORFLOW_DIR);
  if (!existsSync(dir)) throw new Error(`SEG_TENSORFLOW_DIR=${dir} does not exist`);
  const libDir = existsSync(join(dir, 'lib')) ? join(dir, 'lib') : dir;
  stageLibrary(deps, libDir, join(dir, 'include'));
  return `the library in ${dir}`;
}

/** 2. tfjs-node's own download: Google's libtensorflow tarball. */
async function fromGoogle(deps, gpu) {
  const host = process.env.TFJS_NODE_CDN_STORAGE || process.env.npm_config_TFJS_NODE_CDN_STORAGE || process.env.CDN_STORAGE || 'https://storage.googleapis.com/';
  const base = process.env.TFJS_NODE_BASE_URI || process.env.npm_config_TFJS_NODE_BASE_URI || `${host}tensorflow/libtensorflow/libtensorflow-`;
  if (platform() !== 'linux' || arch() !== 'x64') throw new Error(`only linux-x64 is handled here (this is ${platform()}-${arch()})`);
  const url = `${base}${gpu ? 'gpu' : 'cpu'}-linux-x86_64-${LIBTENSORFLOW_VERSION}.tar.gz`;
  log(`GET ${url}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  const tarball = join(cacheDir, `libtensorflow-${LIBTENSORFLOW_VERSION}.tar.gz`);
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  await pipeline(Readable.fromWeb(res.body), createWriteStream(tarball));
  const out = join(cacheDir, `libtensorflow-${gpu ? 'gpu' : 'cpu'}-${LIBTENSORFLOW_VERSION}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const r = await run()`tar -xzf ${tarball} -C ${out}`;
  rmSync(tarball, { force: true });
  if (!r.ok) throw new Error(`could not unpack ${url}`);
  stageLibrary(deps, join(out, 'lib'), join(out, 'include'));
  return `libtensorflow ${LIBTENSORFLOW_VERSION} from ${url}`;
}

async function findPython() {
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    if ((await sh`${py} -m pip --version`).ok) return py;
  }
  return undefined;
}

/** 3. The pinned tensorflow-cpu wheel through pip; only its C library and headers are unpacked. */
async function fromWheel(deps, tfjsNodeDir) {
  const py = await findPython();
  if (!py) throw new Error('no python3 with pip found (needed to fetch the tensorflow-cpu wheel)');
  const dl = join(cacheDir, 'wheel');
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  const req = join(dl, 'requirements.txt');
  writeFileSync(req, `${WHEEL.project}==${WHEEL.version} --hash=sha256:${WHEEL.sha256}\n`);
  // --python-version/--platform: the wheel is fetched whatever Python this machine has.
  const r = await run()`${py} -m pip download --no-deps --only-binary=:all: --require-hashes --python-version ${WHEEL.python} --implementation cp --platform ${WHEEL.platform} -d ${dl} -r ${req}`;
  const wheel = join(dl, WHEEL.file);
  if (!r.ok || !existsSync(wheel)) throw new Error(`pip could not fetch ${WHEEL.file}: ${lastLine(r.stderr)}`);
  const digest = await sha256(wheel);
  if (digest !== WHEEL.sha256) throw new Error(`${wheel} has sha256 ${digest}, not the pinned ${WHEEL.sha256}`);
  const out = join(cacheDir, `tensorflow-cpu-${WHEEL.version}`);
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, 'lib'), { recursive: true });
  const AdmZip = createRequire(join(tfjsNodeDir, 'package.json'))('adm-zip');
  const zip = new AdmZip(wheel);
  for (const e of zip.getEntries()) {
    const name = e.entryName;
    if (e.isDirectory) continue;
    if (name === 'tensorflow/libtensorflow_cc.so.2' || name === 'tensorflow/libtensorflow_framework.so.2') {
      zip.extractEntryTo(e, join(partial, 'lib'), false, true);
    } else if (name.startsWith('tensorflow/include/') && HEADER_DIRS.some((d) => name.startsWith(`tensorflow/include/${d}`))) {
      const rel = name.slice('tensorflow/include/'.length);
      zip.extractEntryTo(e, join(partial, 'include', dirname(rel)), false, true);
    }
  }
  rmSync(dl, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  stageLibrary(deps, join(out, 'lib'), join(out, 'include'));
  return `${WHEEL.project} ${WHEEL.version}'s C library (pip wheel, sha256 checked)`;
}

function lastLine(s) {
  return (s ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
}

async function build(pkgDir) {
  const preGyp = createRequire(join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  const r = await run({ cwd: pkgDir })`${process.execPath} ${preGyp} install --build-from-source ${nodeDirArgs('node.h')}`;
  if (!r.ok) throw new Error(`building the addon failed: ${lastLine(r.stderr.split('\n').filter((l) => /error/i.test(l)).join('\n')) || lastLine(r.stderr)}`);
}

async function setup(pkg) {
  const pkgDir = dirname(realpathSync(require.resolve(`${pkg}/package.json`)));
  const gpu = pkg.endsWith('-gpu');
  if (process.env.SEG_TENSORFLOW !== 'force') {
    const version = await probe(pkgDir);
    if (version) {
      log(`${pkg} already loads (TensorFlow ${version})`);
      return true;
    }
  }
  const deps = join(pkgDir, 'deps');
  const sources = [];
  if (process.env.SEG_TENSORFLOW_DIR) sources.push(['SEG_TENSORFLOW_DIR', () => fromUserDir(deps)]);
  else {
    sources.push(["tfjs-node's download", () => fromGoogle(deps, gpu)]);
    if (!gpu) sources.push(['the tensorflow-cpu wheel', () => fromWheel(deps, pkgDir)]);
  }
  const failures = [];
  for (const [what, get] of sources) {
    const started = Date.now();
    try {
      const from = await get();
      await build(pkgDir);
      const version = await probe(pkgDir);
      if (!version) throw new Error('the built addon does not load (see the log)');
      say(`tensorflow engine ready: ${pkg} built against ${from}, TensorFlow ${version} (${((Date.now() - started) / 1000).toFixed(0)} s).`);
      return true;
    } catch (err) {
      failures.push(`${what}: ${err.cause?.code ?? err.message}`);
      log(`${what} failed: ${err.stack ?? err}`);
    }
  }
  const still = await probe(pkgDir);
  if (still) {
    say(`rebuilding the tensorflow engine failed (${failures.join('; ')}); the existing build (TensorFlow ${still}) still loads and stays in use (details: ${logFile}).`);
    return true;
  }
  say(
    `the tensorflow engine is not available (${failures.join('; ')}), so seg will run on wasm. ` +
      `To get it: give this machine PyPI or storage.googleapis.com and reinstall, or set SEG_TENSORFLOW_DIR to an unpacked libtensorflow and run \`pnpm --filter @seg/core setup:tensorflow\` (details: ${logFile}).`,
  );
  return false;
}

/** node-gyp as node-pre-gyp finds it: the one npm or pnpm names, an installed one, or npm's own beside node. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

/**
 * native/stderr-redirect: a small addon that lets seg hold back the lines
 * TensorFlow's library logs while it loads, which no environment variable
 * silences (src/engine/tensorflow-log.ts). Without it seg runs the same and
 * those lines show.
 */
async function buildStderrRedirect() {
  const dir = join(coreDir, 'native', 'stderr-redirect');
  const addon = join(dir, 'build', 'Release', 'stderr_redirect.node');
  const loads = () => {
    try {
      require(addon);
      return true;
    } catch {
      return false;
    }
  };
  if (process.env.SEG_TENSORFLOW !== 'force' && loads()) return;
  const gyp = findNodeGyp();
  const r = gyp ? await run({ cwd: dir })`${process.execPath} ${gyp} rebuild ${nodeDirArgs('node_api.h')}` : undefined;
  if (r?.ok && loads()) log('built native/stderr-redirect');
  else say(`building native/stderr-redirect failed (${gyp ? lastLine(r.stderr) : 'no node-gyp found'}), so TensorFlow's own log lines show when it loads (details: ${logFile}).`);
}

async function main() {
  if (process.env.SEG_TENSORFLOW === 'skip') return;
  mkdirSync(cacheDir, { recursive: true });
  const installed = PACKAGES.filter((p) => {
    try {
      require.resolve(`${p}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
  if (installed.length === 0) {
    say('@tensorflow/tfjs-node is not installed (it is optional), so seg will run on wasm.');
    return;
  }
  let ready = false;
  for (const pkg of installed) ready = (await setup(pkg)) || ready;
  if (ready) await buildStderrRedirect();
}

main().catch((err) => {
  // Never fail the install over the optional engine.
  say(`setting up the tensorflow engine failed (${err.message}); seg will run on wasm.`);
});
