/**
 * Zip extraction on archives Python's zipfile wrote in ADE20K's layout
 * (scripts/zip-fixtures.py): deflated, stored, empty and ZIP64 members
 * (zipfile's own ZIP64 code, its limits lowered),
 * byte for byte; a filter; and one sentence for a corrupt member, an archive
 * cut short and a member that climbs out of the target folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refusal } from './helpers.js';
import { extractZip } from '../src/index.js';

const ADE = path.join(__dirname, 'fixtures', 'archives', 'ade.zip');
const dir = mkdtempSync(path.join(tmpdir(), 'seg-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (root: string, name: string) => readFileSync(path.join(root, name));

describe('extractZip', () => {
  it("extracts ADE20K's layout byte for byte: deflated, stored, empty and ZIP64-headed members", async () => {
    const out = path.join(dir, 'ade');
    const entries = await extractZip(ADE, out);
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
      ['ADEChallengeData2016', 'directory', 0],
      ['ADEChallengeData2016/sceneCategories.txt', 'file', 720],
      ['ADEChallengeData2016/annotations/training/ADE_train_00000001.png', 'file', 1024],
      ['ADEChallengeData2016/images/training/ADE_train_00000001.jpg', 'file', 3000],
    ]);
    expect(read(out, 'ADEChallengeData2016/sceneCategories.txt').toString()).toBe('ADE_train_00000001 airport_terminal\n'.repeat(20));
    expect(Array.from(read(out, 'ADEChallengeData2016/annotations/training/ADE_train_00000001.png'))).toEqual(Array.from({ length: 1024 }, (_, i) => i % 256));
    expect(Array.from(read(out, 'ADEChallengeData2016/images/training/ADE_train_00000001.jpg'))).toEqual(Array.from({ length: 3000 }, (_, i) => (i * 7) % 251));
  });

  it('reads the ZIP64 sizes, offsets and end record an archive past 4 GB has', async () => {
    const out = path.join(dir, 'ade64');
    const entries = await extractZip(path.join(__dirname, 'fixtures', 'archives', 'ade64.zip'), out);
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['ADEChallengeData2016/sceneCategories.txt', 720],
      ['ADEChallengeData2016/annotations/training/ADE_train_00000001.png', 1024],
      ['ADEChallengeData2016/images/training/ADE_train_00000001.jpg', 3000],
    ]);
    expect(Array.from(read(out, 'ADEChallengeData2016/images/training/ADE_train_00000001.jpg'))).toEqual(Array.from({ length: 3000 }, (_, i) => (i * 7) % 251));
    // Past 4 GB the classic end record holds only "see ZIP64" (all ones): the ZIP64 end record must be read.
    const bytes = Buffer.from(readFileSync(path.join(__dirname, 'fixtures', 'archives', 'ade64.zip')));
    const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    bytes.writeUInt16LE(0xffff, eocd + 8);
    bytes.writeUInt16LE(0xffff, eocd + 10);
    bytes.writeUInt32LE(0xffffffff, eocd + 12);
    bytes.writeUInt32LE(0xffffffff, eocd + 16);
    writeFileSync(path.join(dir, 'big.zip'), bytes);
    expect((await extractZip(path.join(dir, 'big.zip'), path.join(dir, 'big'))).map((e) => e.size)).toEqual([720, 1024, 3000]);
  });

  it('extracts only what the filter keeps', async () => {
    const out = path.join(dir, 'filtered');
    const entries = await extractZip(ADE, out, { filter: (n) => n.endsWith('.txt') });
    expect(entries.map((e) => e.name)).toEqual(['ADEChallengeData2016/sceneCategories.txt']);
    expect(existsSync(path.join(out, 'ADEChallengeData2016/images'))).toBe(false);
  });

  it('refuses a corrupt member, an archive cut short and a member outside the folder, in one sentence', async () => {
    const bytes = readFileSync(ADE);
    const png = bytes.indexOf(Buffer.from('ADE_train_00000001.png')) + 'ADE_train_00000001.png'.length;
    const corrupt = Buffer.from(bytes);
    corrupt[png + 100] ^= 0xff; // a byte of the stored PNG's data
    writeFileSync(path.join(dir, 'corrupt.zip'), corrupt);
    expect(await refusal(extractZip(path.join(dir, 'corrupt.zip'), path.join(dir, 'c1')))).toMatch(/corrupt\.zip: member ADEChallengeData2016\/annotations\/training\/ADE_train_00000001\.png is corrupt \(its CRC-32 does not match\)\.$/);
    writeFileSync(path.join(dir, 'cut.zip'), bytes.subarray(0, bytes.length - 300));
    expect(await refusal(extractZip(path.join(dir, 'cut.zip'), path.join(dir, 'c2')))).toMatch(/cut\.zip: not a zip archive, or cut short \(no end of central directory\)\.$/);
    expect(await refusal(extractZip(path.join(__dirname, 'fixtures', 'archives', 'escape.zip'), path.join(dir, 'c3')))).toMatch(/escape\.zip: member \.\.\/outside\.txt would be written outside .*c3; seg does not extract it\.$/);
    expect(existsSync(path.join(dir, 'outside.txt'))).toBe(false);
  });
});
