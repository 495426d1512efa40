/** `pnpm turbo run replicate --filter pspnet`: SEG_PROFILE=quick (default) | full | smoke; `-- --list`, `-- --shard K/N`, `-- --run ID`, `-- --report`. */
import { replicationMain } from '@seg/core';
import { replication } from './replication.js';

await replicationMain(replication);
