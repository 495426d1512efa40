/**
 * A deterministic synthetic scene for the CRF benchmark: a few smooth colour
 * regions with noise of +-8 levels, and a 21-label softmax map that roughly
 * follows the regions. The noise makes its bilateral lattice denser than a
 * photo's (about 100 k points at 480x360, against 46 k for a CamVid photo),
 * so it is the harder case for the lattice.
 */
export function scene(width: number, height: number, labels: number) {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const centres = Array.from({ length: 12 }, () => ({ x: rnd() * width, y: rnd() * height, label: Math.floor(rnd() * labels), rgb: [rnd() * 255, rnd() * 255, rnd() * 255] }));
  const n = width * height;
  const image = new Uint8Array(n * 3);
  const probs = new Float32Array(n * labels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // nearest centre: a Voronoi partition with a shading gradient
      let best = 0;
      let bd = Infinity;
      centres.forEach((c, i) => {
        const d = (c.x - x) ** 2 + (c.y - y) ** 2;
        if (d < bd) {
          bd = d;
          best = i;
        }
      });
      const c = centres[best]!;
      const p = y * width + x;
      const shade = 0.8 + 0.2 * Math.sin(x / 40) * Math.cos(y / 30);
      for (let k = 0; k < 3; k++) image[p * 3 + k] = Math.max(0, Math.min(255, Math.round(c.rgb[k]! * shade + (rnd() - 0.5) * 16)));
      let sum = 0;
      for (let l = 0; l < labels; l++) sum += probs[p * labels + l] = (l === c.label ? 3 : 0.3) * (0.2 + rnd());
      for (let l = 0; l < labels; l++) probs[p * labels + l]! /= sum;
    }
  }
  return { image, probs };
}
