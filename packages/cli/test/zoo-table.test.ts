/**
 * The model metadata lives in the registrations; everything that states it
 * again is held to them here: each architecture package's package.json list
 * (`vitest run test/zoo-table.test.ts -u` rewrites it from the
 * registrations), @seg/cli's dependencies (it finds the packages through
 * them), and docs/zoo.md's tables. The packages' own tests hold the stated
 * parameter counts to their built models.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredModels, type ModelSpec } from '@seg/core';
import { architecturePackages } from '../src/architecture-packages.js';
import { loadPackages } from '../src/registry.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { name: string; seg?: { models?: string[] }; dependencies?: Record<string, string> };

/** Every workspace package and its package.json file. */
const workspace = readdirSync(path.join(root, 'packages')).map((dir) => {
  const file = path.join(root, 'packages', dir, 'package.json');
  return { file, json: readJson(file) };
});

let specs: ModelSpec[];
beforeAll(async () => {
  await loadPackages();
  specs = registeredModels().filter((s) => architecturePackages().packages.some((p) => p.name === s.package));
});

describe('the architecture packages', () => {
  it('are every workspace package with a seg field, all of them dependencies of @seg/cli, which finds them there', () => {
    const declaring = workspace.filter((p) => p.json.seg).map((p) => p.json.name);
    const cli = readJson(path.join(root, 'packages', 'cli', 'package.json'));
    expect(declaring.filter((name) => !cli.dependencies?.[name])).toEqual([]);
    expect(architecturePackages().packages.map((p) => p.name).sort()).toEqual(declaring.sort());
    expect(architecturePackages().missing).toEqual([]);
  });

  it('each list in its package.json exactly the models it registers, in order', async () => {
    for (const { file, json } of workspace.filter((p) => p.json.seg)) {
      const models = specs.filter((s) => s.package === json.name).map((s) => s.name);
      const expected = { ...json, seg: { ...json.seg, models } };
      await expect(`${JSON.stringify(expected, null, 2)}\n`, `${json.name}'s package.json "seg": { "models" } (vitest -u rewrites it)`).toMatchFileSnapshot(file);
    }
  });

  it('state each model\'s paper, default input, classes and parameter counts', () => {
    expect(specs.length).toBeGreaterThan(0);
    for (const s of specs) {
      expect(typeof s.paper, s.name).toBe('string');
      expect(s.input, s.name).toHaveLength(3);
      expect(s.classes, s.name).toBeGreaterThan(0);
      expect(s.params, s.name).toBeGreaterThan(0);
      if (s.auxiliaryLosses) expect(s.paramsWithAux, s.name).toBeGreaterThan(s.params!);
    }
  });
});

/** The rows of the markdown table under `heading` in docs/zoo.md, each a list of cells. */
function table(heading: string): string[][] {
  const doc = readFileSync(path.join(root, 'docs', 'zoo.md'), 'utf8');
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const rest = doc.slice(start + heading.length + 2);
  const section = rest.includes('\n## ') ? rest.slice(0, rest.indexOf('\n## ')) : rest;
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

const count = (cell: string) => Number(cell.replaceAll(',', ''));

describe('docs/zoo.md', () => {
  it('"The models" states every configuration as registered', () => {
    const rows = table('## The models').map(([name, pkg, paper, , input, classes, params, , pretrained]) => {
      const [, h, w, c] = /^(\d+)x(\d+)x(\d+)/.exec(input!)!;
      const withAux = /\(([\d,]+) with the auxiliary head\)/.exec(params!)?.[1];
      return { name: name!.replaceAll('`', ''), package: pkg, paper, input: [h, w, c].map(Number), classes: Number(classes), params: count(params!.split(' ')[0]!), ...(withAux ? { paramsWithAux: count(withAux) } : {}), pretrained: pretrained === '—' ? [] : pretrained!.split(', ') };
    });
    const registered = specs
      .filter((s) => !s.variant)
      .map((s) => ({ name: s.name, package: s.package, paper: s.paper, input: s.input, classes: s.classes, params: s.params, ...(s.paramsWithAux ? { paramsWithAux: s.paramsWithAux } : {}), pretrained: s.pretrained ?? [] }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(rows.sort(byName)).toEqual(registered.sort(byName));
  });

  it('"Paper variants" states every variant\'s parameters as registered', () => {
    const rows = table('## Paper variants').map(([name, params]) => ({ name: name!.replaceAll('`', ''), params: count(params!) }));
    const registered = specs.filter((s) => s.variant).map((s) => ({ name: s.name, params: s.params }));
    expect(rows).toEqual(registered);
  });
});
