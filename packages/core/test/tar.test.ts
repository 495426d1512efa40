/**
 * Tar extraction on archives Python's tarfile wrote in the datasets'
 * layouts (scripts/archive-fixtures.py): SBD's gzipped benchmark_RELEASE
 * folder, VOC's VOCdevkit with a GNU long name and with PAX headers; a
 * filter; and one sentence for a corrupt header, an archive cut short and a
 * member that climbs out of the target folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusal } from './helpers.js';
import { extractTar } from '../src/index.js';

const FIXTURES = path.join(__dirname, 'fixtures', 'archives');
const LONG = `VOCdevkit/VOC2012/${'a'.repeat(120)}.txt`;
const dir = mkdtempSync(path.join(tmpdir(), 'seg-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (root: string, name: string) => readFileSync(path.join(root, name));

describe('extractTar', () => {
  it("extracts SBD's gzipped layout, byte for byte", async () => {
    const out = path.join(dir, 'sbd');
    const seen: string[] = [];
    const entries = await extractTar(path.join(FIXTURES, 'sbd.tgz'), out, { onEntry: (e) => seen.push(e.name) });
    expect(entries.filter((e) => e.type === 'file').map((e) => [e.name, e.size])).toEqual([
      ['benchmark_RELEASE/dataset/train.txt', 24],
      ['benchmark_RELEASE/dataset/cls/2008_000002.mat', 768],
    ]);
    expect(seen).toEqual(entries.map((e) => e.name));
    expect(read(out, 'benchmark_RELEASE/dataset/train.txt').toString()).toBe('2008_000002\n2008_000003\n');
    const mat = read(out, 'benchmark_RELEASE/dataset/cls/2008_000002.mat');
    expect(Array.from(mat)).toEqual(Array.from({ length: 768 }, (_, i) => i % 256));
  });

  it.each(['voc-gnu.tar', 'voc-pax.tar'])('reads the long member name of %s', async (name) => {
    const out = path.join(dir, name);
    const entries = await extractTar(path.join(FIXTURES, name), out);
    expect(entries.filter((e) => e.type === 'file').map((e) => e.name).sort()).toEqual([LONG, 'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt'].sort());
    expect(read(out, LONG).toString()).toBe('long name\n');
    expect(read(out, 'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt').toString()).toBe('2007_000033\n');
  });

  it('extracts only what the filter keeps', async () => {
    const out = path.join(dir, 'filtered');
    const entries = await extractTar(path.join(FIXTURES, 'voc-gnu.tar'), out, { filter: (n) => n.endsWith('val.txt') });
    expect(entries.map((e) => e.name)).toEqual(['VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt']);
    expect(existsSync(path.join(out, LONG))).toBe(false);
  });

  it('refuses a corrupt header, an archive cut short and a member outside the folder, in one sentence', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'voc-gnu.tar'));
    const corrupt = Buffer.from(bytes);
    corrupt[0] ^= 0x01; // the first member's name, so its checksum no longer matches
    writeFileSync(path.join(dir, 'corrupt.tar'), corrupt);
    expect(await refusal(extractTar(path.join(dir, 'corrupt.tar'), path.join(dir, 'c1')))).toMatch(/corrupt\.tar: the member header at byte 0 is corrupt \(its checksum does not match\)\.$/);
    // Cut inside the last file's data: the fourth header block is the long name's, then its header, then 10 bytes of data.
    writeFileSync(path.join(dir, 'cut.tar'), bytes.subarray(0, 5 * 512 + 5));
    expect(await refusal(extractTar(path.join(dir, 'cut.tar'), path.join(dir, 'c2')))).toMatch(/cut\.tar: cut short inside VOCdevkit\/VOC2012\/a+\.txt \(5 of its 10 bytes missing\)\.$/);
    const gz = readFileSync(path.join(FIXTURES, 'sbd.tgz'));
    writeFileSync(path.join(dir, 'cut.tgz'), gz.subarray(0, gz.length - 30));
    expect(await refusal(extractTar(path.join(dir, 'cut.tgz'), path.join(dir, 'c3')))).toMatch(/cut\.tgz: (does not decompress|cut short)/);
    expect(await refusal(extractTar(path.join(FIXTURES, 'escape.tar'), path.join(dir, 'c4')))).toMatch(/escape\.tar: member \.\.\/outside\.txt would be written outside .*c4; seg does not extract it\.$/);
    expect(existsSync(path.join(dir, 'outside.txt'))).toBe(false);
  });
});
