/** `pnpm turbo run replicate --filter pspnet`: SEG_PROFILE=quick (default) | full | smoke; `-- --report` re-renders report.md from results.json. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReplication } from '@seg/core';
import { profileFromEnv } from './profiles.js';
import { rewriteReport } from './report.js';
import { replicate } from './replicate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
await runReplication(
  'pspnet',
  async (root) => {
    const profile = profileFromEnv();
    await replicate({ profile, dataDir: path.resolve(root, '../shared/data/camvid'), runsDir: path.resolve(here, '../runs'), reportsDir: path.resolve(root, 'reports/pspnet') });
    return profile.name;
  },
  path.resolve(here, '../../..'),
  (root) => rewriteReport(path.resolve(root, 'reports/pspnet')),
);
