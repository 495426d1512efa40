/** ImageNet's 1,000 class names in torchvision's order (data/imagenet-classes.json), and its input normalisation. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** torchvision's transforms.Normalize for its ImageNet weights (RGB, on [0, 1] pixels). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

let names: string[] | undefined;

export function imagenetClasses(): string[] {
  names ??= JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/imagenet-classes.json'), 'utf8')) as string[];
  return names;
}
