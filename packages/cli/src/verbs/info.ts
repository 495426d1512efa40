import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';
import { UsageError } from '../errors.js';
import { checkModelName, findModel } from '../registry.js';
import { parsePositive, parseSize } from '../load.js';

export const help = `seg info --model NAME [--classes N] [--size HxW] [--json]

Builds the model and reports its trainable parameters, multiply-accumulates
of one forward pass, input and output shapes. For a model with a
training-only auxiliary head (PSPNet) these describe the inference graph;
aux_params counts the parameters the head adds in training.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values: v } = parseVerbArgs('info', argv, { model: { type: 'string' }, classes: { type: 'string' }, size: { type: 'string' }, json: { type: 'boolean' } });
  if (typeof v.model !== 'string') throw new UsageError('seg info needs --model NAME; see seg models.');
  checkModelName(v.model);
  const given = parseSize(v.size as string | undefined);
  if (v.classes !== undefined) parsePositive(v.classes as string, '--classes', 0);
  await engine();
  const { checkInputSize, countMacs, countTrainableParams } = await import('@seg/core');
  const spec = await findModel(v.model);
  const defaults = spec.input;
  const size = given ?? (defaults ? [defaults[0], defaults[1]] : undefined);
  if (!size) throw new UsageError(`seg info --model ${spec.name} needs --size HxW.`);
  const classes = parsePositive(v.classes as string | undefined, '--classes', spec.classes ?? 2);
  checkInputSize(spec, size as [number, number]);
  const model = spec.build({ classes, size, channels: defaults?.[2] });
  const input = model.inputs[0]!.shape as number[];
  const output = (Array.isArray(model.outputShape[0]) ? model.outputShape[0] : model.outputShape) as number[];
  let auxParams: number | undefined;
  if (spec.auxiliaryLosses) {
    const withAux = spec.build({ classes, size, channels: defaults?.[2], auxiliary: true });
    auxParams = countTrainableParams(withAux) - countTrainableParams(model);
    withAux.dispose();
  }
  const r = { name: spec.name, params: countTrainableParams(model), macs: countMacs(model), input: input.slice(1), output: output.slice(1), ...(auxParams !== undefined ? { aux_params: auxParams } : {}) };
  model.dispose();
  out(v.json ? JSON.stringify(r) : `${r.name}: ${r.params.toLocaleString('en-US')} params, ${(r.macs / 1e9).toFixed(2)} GMACs, input ${r.input.join('x')}, output ${r.output.join('x')}${auxParams !== undefined ? `; training adds an auxiliary head of ${auxParams.toLocaleString('en-US')} params` : ''}`);
}
