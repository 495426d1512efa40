/** `pnpm turbo run replicate --filter deeplab`: SEG_PROFILE=quick (default) | full | smoke. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEngine, initEngine } from '@seg/core';
import { profileFromEnv } from './profiles.js';
import { replicate } from './replicate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
try {
  const profile = profileFromEnv();
  console.error(describeEngine(await initEngine()));
  const t0 = Date.now();
  await replicate({
    profile,
    dataDir: path.resolve(root, '../shared/data/camvid'),
    runsDir: path.resolve(here, '../runs'),
    reportsDir: path.resolve(root, 'reports/deeplab'),
  });
  console.error(`replicate deeplab (${profile.name}): done in ${((Date.now() - t0) / 1000).toFixed(0)} s; see reports/deeplab/report.md`);
} catch (err) {
  console.error(`replicate deeplab: ${(err as Error).message}`);
  process.exitCode = 1;
}
