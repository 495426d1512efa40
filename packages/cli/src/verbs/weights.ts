import { existsSync, readFileSync } from 'node:fs';
import { fetchWeights, formatBytes, InputError, listWeights, verifyWeights, weightsFile, weightsRoot, weightsSource, WEIGHTS, knownWeights } from '@seg/core/weights';
import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';
import { UsageError } from '../errors.js';
import { formatTable } from '../table.js';

export const help = `seg weights list [--json] | get NAME... | verify NAME | path NAME
          | classify NAME|FILE.safetensors INPUT [--json]

torchvision's ImageNet classifiers, as timm republishes them in safetensors on
the Hugging Face Hub, each pinned to a revision and its SHA-256:
  vgg16-imagenet      VGG16 (FCN, DeepLab v1/v2, SegNet's encoder), 553 MB
  resnet50-imagenet   ResNet-50 (DeepLab v3/v3+, PSPNet), 102 MB
  resnet101-imagenet  ResNet-101 (DeepLab v2/v3/v3+, PSPNet), 179 MB; no
                      SHA-256 is published where seg was made, so its file is
                      checked for being a whole ResNet-101 instead

list      each file's status (ready, partial, missing), path and size
get       fetches it with progress; a cut fetch resumes where it stopped; the
          file takes its name only once it checks out
verify    checks a file against its SHA-256 (ResNet-101: its structure)
path      prints the file of ready weights
classify  the ImageNet top-5 of INPUT (an image: resized to 256, cropped to
          224 and normalised as torchvision's transforms do; or a .npy float32
          array HxWx3, taken as already preprocessed), from NAME's weights or
          any safetensors file in torchvision's or timm's names; --json: an
          array of five { index, label, logit }, best first

Weights live under SEG_WEIGHTS_DIR (default ~/.cache/seg/weights, or
$XDG_CACHE_HOME/seg/weights), one NAME.safetensors each.
SEG_WEIGHTS_MIRROR (a base URL such as a Hugging Face endpoint mirror, or a
folder) replaces https://huggingface.co: files are read from
MIRROR/<repo>/resolve/<revision>/model.safetensors. Models start from them
with pretrained: 'imagenet' (seg train --pretrained imagenet).`;

const ACTIONS = ['list', 'get', 'verify', 'path', 'classify'];

function names(positionals: string[], action: string, many: boolean): string[] {
  if (positionals.length === 0) throw new UsageError(`seg weights ${action} needs a name (${WEIGHTS.map((w) => w.name).join(', ')}).`);
  if (!many && positionals.length > 1) throw new UsageError(`seg weights ${action} takes one name (got ${positionals.length}).`);
  for (const n of positionals) knownWeights(n);
  return positionals;
}

export async function run(argv: string[], out: (s: string) => void, err: (s: string) => void, engine: StartEngine): Promise<void> {
  const { values: v, positionals } = parseVerbArgs('weights', argv, { json: { type: 'boolean' } }, true);
  const [action, ...rest] = positionals;
  if (!action) throw new UsageError(`seg weights needs an action: ${ACTIONS.join(', ')} (see seg weights --help).`);
  if (!ACTIONS.includes(action)) throw new UsageError(`seg weights has no action "${action}"; the actions are ${ACTIONS.join(', ')}.`);
  if (v.json && action !== 'list' && action !== 'classify') throw new UsageError('--json goes with seg weights list and classify.');
  if (action === 'list') {
    if (rest.length) throw new UsageError('seg weights list takes no name.');
    const all = listWeights();
    if (v.json) {
      out(JSON.stringify(all, null, 2));
      return;
    }
    const rows = all.map((s) => [s.name, s.status, formatBytes(s.bytes), formatBytes(s.download), s.path]);
    out(formatTable(['name', 'status', 'on disk', 'download', 'path'], rows));
    out(`(SEG_WEIGHTS_DIR: ${weightsRoot()})`);
    return;
  }
  if (action === 'path') {
    const [name] = names(rest, action, false);
    out(weightsFile(name!));
    return;
  }
  if (action === 'verify') {
    const [name] = names(rest, action, false);
    const r = await verifyWeights(name!);
    if (r.problem) throw new InputError(`${r.problem}; seg weights get ${name} fetches it (${formatBytes(knownWeights(name!).size)}).`);
    out(r.unpinned ? `${name}: ${r.file} is a whole safetensors file of ${knownWeights(name!).arch} (no published SHA-256 to check it against)` : `${name}: ${r.file} matches its SHA-256`);
    return;
  }
  if (action === 'get') {
    for (const name of names(rest, action, true)) await fetchWeights(name, { log: err, progress: true });
    return;
  }
  // classify
  if (rest.length !== 2) throw new UsageError('seg weights classify takes NAME or FILE.safetensors, then INPUT (an image or a .npy array).');
  const [which, input] = rest as [string, string];
  const file = weightsSource(which) ? weightsFile(which) : which;
  if (!weightsSource(which) && !/\.safetensors$/i.test(which)) throw new UsageError(`"${which}" is neither weights seg knows (${WEIGHTS.map((w) => w.name).join(', ')}) nor a .safetensors file.`);
  if (!existsSync(file)) throw new InputError(`Weights file ${file} does not exist.`);
  if (!existsSync(input)) throw new InputError(`Input ${input} does not exist.`);
  await engine();
  const { imagenetClassifier, imagenetClasses, imagenetInput, parseNpy, readImage, tf } = await import('@seg/core');
  let x: { data: Float32Array; height: number; width: number };
  if (/\.npy$/i.test(input)) {
    let a: { shape: number[]; data: Float32Array };
    try {
      a = parseNpy(readFileSync(input), input);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
    if (a.shape.length !== 3 || a.shape[2] !== 3) throw new InputError(`${input} has shape (${a.shape.join(', ')}); classify takes an HxWx3 array.`);
    x = { data: a.data, height: a.shape[0]!, width: a.shape[1]! };
  } else {
    x = imagenetInput(await readImage(input, 3));
  }
  const net = imagenetClassifier(file);
  const t = tf.tensor4d(x.data, [1, x.height, x.width, 3]);
  const logits = net.logits(t);
  const values = Array.from(logits.dataSync());
  t.dispose();
  logits.dispose();
  net.dispose();
  const labels = imagenetClasses();
  const best = [...values.keys()].sort((a, b) => values[b]! - values[a]! || a - b).slice(0, 5).map((index) => ({ index, label: labels[index]!, logit: values[index]! }));
  if (v.json) out(JSON.stringify(best, null, 2));
  else out(best.map((b, i) => `${i + 1}. ${b.label} (class ${b.index}): ${b.logit.toFixed(3)}`).join('\n'));
}
