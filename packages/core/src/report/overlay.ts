/** Label maps drawn over their image for reports (60% label colour, 40% image). */
import type { Sample } from '../data/types.js';

/** SegNet's CamVid colours for its 11 classes (sky, building, pole, road, pavement, tree, sign, fence, car, pedestrian, cyclist). */
export const CAMVID_PALETTE: [number, number, number][] = [
  [128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222], [128, 128, 0],
  [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0], [0, 128, 192],
];

/** An RGB image (for writePng) of `labels` over the sample's image; labels without a colour (ignore) are black. */
export function labelOverlay(s: Sample, labels: ArrayLike<number>, palette: [number, number, number][] = CAMVID_PALETTE) {
  const data = new Uint8Array(s.width * s.height * 3);
  for (let i = 0; i < s.width * s.height; i++) {
    const c = palette[labels[i]!] ?? [0, 0, 0];
    for (let ch = 0; ch < 3; ch++) {
      const v = s.image[i * s.channels + (s.channels === 1 ? 0 : ch)]!;
      data[i * 3 + ch] = Math.round(0.4 * 255 * v + 0.6 * c[ch]);
    }
  }
  return { width: s.width, height: s.height, channels: 3 as const, data };
}
