/** `pnpm turbo run replicate --filter fcn`: SEG_PROFILE=quick (default) | full | smoke; `-- --list`, `-- --shard K/N`, `-- --run ID`, `-- --report` (core's runReplication). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReplication } from '@seg/core';
import { profileFromEnv } from './profiles.js';
import { rewriteReport } from './report.js';
import { plan } from './replicate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
await runReplication(
  'fcn',
  path.resolve(here, '../../..'),
  'camvid',
  (dirs) => plan({ profile: profileFromEnv(), dataDir: dirs.dataDir, runsDir: dirs.runsDir, reportsDir: dirs.reportsDir }),
  rewriteReport,
);
