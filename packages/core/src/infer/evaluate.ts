/** Evaluation of a model over a dataset: one confusion matrix, the standard metrics. */
import type { tfl } from '../engine/tf.js';
import type { Dataset, Sample } from '../data/types.js';
import { ConfusionMatrix } from '../metrics/confusion.js';
import { infer, type InferOptions, type Prediction } from './predict.js';

export interface EvalResult {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  fw_iou: number;
  per_class: { name: string; iou: number | null; acc: number | null }[];
  images: number;
}

export async function evaluate(
  model: tfl.LayersModel,
  dataset: Dataset,
  o: InferOptions & {
    onPrediction?: (p: Prediction, index: number) => void | Promise<void>;
    /** Post-processing of each prediction before it is scored, e.g. a dense CRF. */
    refine?: (p: Prediction, sample: Sample) => Prediction | Promise<Prediction>;
  } = {},
): Promise<EvalResult> {
  const cm = new ConfusionMatrix(dataset.numClasses, dataset.ignoreIndex);
  for (let i = 0; i < dataset.length; i++) {
    const sample = await dataset.get(i);
    const raw = infer(model, sample, o);
    const p = o.refine ? await o.refine(raw, sample) : raw;
    if (p.classes !== dataset.numClasses) {
      throw new Error(`The model predicts ${p.classes} classes but dataset ${dataset.name} has ${dataset.numClasses}.`);
    }
    cm.add(sample.mask, p.labels);
    await o.onPrediction?.(p, i);
  }
  const m = cm.metrics();
  return {
    miou: m.miou,
    pixel_acc: m.pixelAcc,
    mean_acc: m.meanAcc,
    fw_iou: m.fwIou,
    per_class: dataset.classNames.map((name, k) => ({ name, iou: m.perClassIou[k] ?? null, acc: m.perClassAcc[k] ?? null })),
    images: dataset.length,
  };
}
