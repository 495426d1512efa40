/**
 * torchvision's ImageNet evaluation transform for its IMAGENET1K_V1 weights:
 * Resize(256) (the shorter side to 256, antialiased bilinear as PIL does it),
 * CenterCrop(224), ToTensor (pixels / 255), Normalize(mean, std). Computed in
 * float, where PIL rounds to 8 bits between its two passes.
 */
import type { RawImage } from '../data/image-io.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './imagenet-classes.js';

/** PIL's antialiased bilinear resampling along one axis: a triangle filter as wide as the scale when shrinking. */
function weights(inSize: number, outSize: number): { start: number; w: Float64Array }[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  return Array.from({ length: outSize }, (_, x) => {
    const center = (x + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w = new Float64Array(hi - lo);
    let sum = 0;
    for (let i = 0; i < w.length; i++) {
      const t = Math.abs((i + lo - center + 0.5) / filterScale);
      w[i] = t < 1 ? 1 - t : 0;
      sum += w[i]!;
    }
    for (let i = 0; i < w.length; i++) w[i]! /= sum || 1;
    return { start: lo, w };
  });
}

/** Resamples HWC float pixels to outW x outH (horizontal pass, then vertical, as PIL). */
export function resizeAntialiased(src: Float32Array, width: number, height: number, channels: number, outW: number, outH: number): Float32Array {
  const wx = weights(width, outW);
  const wy = weights(height, outH);
  const mid = new Float32Array(outW * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < outW; x++) {
      const { start, w } = wx[x]!;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let i = 0; i < w.length; i++) s += w[i]! * src[(y * width + start + i) * channels + c]!;
        mid[(y * outW + x) * channels + c] = s;
      }
    }
  const out = new Float32Array(outW * outH * channels);
  for (let y = 0; y < outH; y++) {
    const { start, w } = wy[y]!;
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let i = 0; i < w.length; i++) s += w[i]! * mid[((start + i) * outW + x) * channels + c]!;
        out[(y * outW + x) * channels + c] = s;
      }
  }
  return out;
}

/** Python's round(), which CenterCrop uses: halves to the even neighbour. */
const roundHalfEven = (v: number) => (v % 1 === 0.5 ? (Math.floor(v) % 2 === 0 ? Math.floor(v) : Math.ceil(v)) : Math.round(v));

/** An RGB image as the classifier's input: [224, 224, 3], normalised. */
export function imagenetInput(img: RawImage, resize = 256, crop = 224): { data: Float32Array; height: number; width: number } {
  if (img.channels !== 3) throw new Error(`imagenetInput takes RGB pixels, not ${img.channels} channel(s).`);
  const px = Float32Array.from(img.data, (v) => v / 255);
  // torchvision's Resize(int): the shorter side to `resize`, the longer scaled and truncated.
  const [w, h] = img.width <= img.height ? [resize, Math.trunc((resize * img.height) / img.width)] : [Math.trunc((resize * img.width) / img.height), resize];
  const resized = resizeAntialiased(px, img.width, img.height, 3, w, h);
  const top = roundHalfEven((h - crop) / 2);
  const left = roundHalfEven((w - crop) / 2);
  const data = new Float32Array(crop * crop * 3);
  for (let y = 0; y < crop; y++)
    for (let x = 0; x < crop; x++)
      for (let c = 0; c < 3; c++) data[(y * crop + x) * 3 + c] = (resized[((y + top) * w + x + left) * 3 + c]! - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  return { data, height: crop, width: crop };
}
