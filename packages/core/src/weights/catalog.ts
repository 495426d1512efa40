/**
 * The ImageNet weights seg can fetch: torchvision's own classifiers, as timm
 * republishes them in safetensors on the Hugging Face Hub (tensor names
 * torchvision's, but VGG's classifier renamed pre_logits.fc1/fc2 and
 * head.fc). Each is pinned to a revision of its repository, and to its
 * SHA-256 and size where a source publishes them (each entry says which).
 * `seg weights` and `pretrained: 'imagenet'` read this.
 */
import path from 'node:path';

export type ImageNetArch = 'vgg16' | 'resnet50' | 'resnet101';

export interface WeightsSource {
  name: string;
  arch: ImageNetArch;
  title: string;
  /** The Hub repository and the revision pinned. */
  repo: string;
  revision: string;
  file: string;
  size: number;
  /** Whether `size` is published (and so checked) or worked out from the tensors (shown, not checked: the SHA-256 decides). */
  sizeFrom: 'published' | 'derived';
  /** null where no published hash could be checked: then `verify` checks the size and that the file holds the architecture's tensors. */
  sha256: string | null;
  /** Where the pins come from. */
  pinnedFrom: string;
  /** torchvision's own checkpoint these were converted from (same numbers, .pth). */
  torchvision: string;
  licence: string;
}

/** Where Hub files come from; SEG_WEIGHTS_MIRROR replaces it (a base URL such as an HF endpoint mirror, or a folder). */
export const HUB = 'https://huggingface.co';

const TV_LICENCE = 'BSD-3-Clause (torchvision; the weights were trained on ImageNet-1k, whose terms are non-commercial research use)';

export const WEIGHTS: WeightsSource[] = [
  {
    name: 'vgg16-imagenet',
    arch: 'vgg16',
    title: "VGG16 (Simonyan & Zisserman 2015, config. D), torchvision's IMAGENET1K_V1: top-1 71.59%",
    repo: 'timm/vgg16.tv_in1k',
    revision: 'b8d8aa2dd860af9233c8c67385a8097fd6c35d3f',
    file: 'model.safetensors',
    size: 553_432_992,
    sizeFrom: 'derived',
    sha256: '57b026918159a6bf9faf8405c3a551903768e7138989d9c6224a14227203fad8',
    pinnedFrom: "the Hub's file page (SHA-256); the size is what safetensors writes for these tensors, the way that reproduces resnet50's published size to the byte",
    torchvision: 'vgg16-397923af.pth',
    licence: TV_LICENCE,
  },
  {
    name: 'resnet50-imagenet',
    arch: 'resnet50',
    title: "ResNet-50 (He et al. 2016), torchvision's IMAGENET1K_V1: top-1 76.13%",
    repo: 'timm/resnet50.tv_in1k',
    revision: '78f3ecfdb38e06d9b8397f662e7ab8fee96026fa',
    file: 'model.safetensors',
    size: 102_469_840,
    sizeFrom: 'published',
    sha256: '5d061a3c593d795bfe682d9b152bafbcf550579873492def3515b46db1189888',
    pinnedFrom: "the Hub's file page (SHA-256, 102 MB) and a public weights registry that pins this revision with the same SHA-256 and 102,469,840 bytes",
    torchvision: 'resnet50-0676ba61.pth',
    licence: TV_LICENCE,
  },
  {
    name: 'resnet101-imagenet',
    arch: 'resnet101',
    title: "ResNet-101 (He et al. 2016), torchvision's IMAGENET1K_V1: top-1 77.37%",
    repo: 'timm/resnet101.tv_in1k',
    revision: 'main',
    file: 'model.safetensors',
    size: 178_675_808,
    sizeFrom: 'derived',
    sha256: null,
    pinnedFrom: "the size safetensors writes for torchvision's ResNet-101 tensors (the Hub lists 179 MB); no published SHA-256 could be read from here, so the revision is the branch",
    torchvision: 'resnet101-63fe2227.pth',
    licence: TV_LICENCE,
  },
];

export function weightsSource(name: string): WeightsSource | undefined {
  return WEIGHTS.find((w) => w.name === name);
}

/** The ImageNet weights of a backbone, by its architecture. */
export const imagenetWeightsOf = (arch: string) => WEIGHTS.find((w) => w.arch === arch);

/** Adds (or replaces) a weights file: a test's own source, or a private copy. */
export function registerWeights(source: WeightsSource): void {
  const at = WEIGHTS.findIndex((w) => w.name === source.name);
  if (at >= 0) WEIGHTS.splice(at, 1);
  WEIGHTS.push(source);
}

/** The file's URL at the pinned source, or under SEG_WEIGHTS_MIRROR (which holds <repo>/resolve/<revision>/<file>, an HF endpoint's layout). */
export function weightsUrl(w: WeightsSource, mirror = process.env.SEG_WEIGHTS_MIRROR): string {
  const rel = `${w.repo}/resolve/${w.revision}/${w.file}`;
  if (mirror && !/^(https?|file):\/\//i.test(mirror)) return path.join(path.resolve(mirror), ...rel.split('/'));
  return `${(mirror || HUB).replace(/\/+$/, '')}/${rel}`;
}
