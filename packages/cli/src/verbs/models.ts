import { listModels, listVariants } from '../registry.js';
import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';

export const help = `seg models [--json]

Lists every zoo model (docs/zoo.md) with its trainable parameter
count, default input size and classes, and whether its package is installed;
then the paper variants the installed packages add (e.g. SegNet-Basic and
its Table 1 decoders), with their parameters counted. The pretrained column
names the weights \`seg train --pretrained\` accepts for a model (imagenet:
the ResNet-50 models; their ImageNet variant has Caffe's layout, whose conv
biases add parameters: @seg/deeplab's README counts them). The aux column
gives the loss weight of a training-only auxiliary head (PSPNet: 0.4; seg
train --aux-weight changes it); params counts the model without it.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values } = parseVerbArgs('models', argv, { json: { type: 'boolean' } });
  // The variants' parameters are counted by building them.
  await engine();
  const models = [...(await listModels()), ...(await listVariants())];
  if (values.json) {
    out(JSON.stringify(models, null, 2));
    return;
  }
  const rows = models.map((m) => [m.name, m.package, m.params.toLocaleString('en-US'), `${m.input[0]}x${m.input[1]}`, String(m.classes), m.available ? 'yes' : 'not installed', m.pretrained.join(',') || '-', Object.values(m.auxiliary).join(',') || '-']);
  const head = ['model', 'package', 'params', 'input', 'classes', 'available', 'pretrained', 'aux'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out([line(head), ...rows.map(line)].join('\n'));
}
