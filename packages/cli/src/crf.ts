/** --crf and the CRF parameter flags, shared by seg crf, seg eval and seg predict. */
import { DEEPLAB_V2_CRF, type CrfParams } from '@seg/crf';
import { UsageError } from './errors.js';
import { parsePositive } from './load.js';

export const CRF_FLAGS = {
  'crf-iters': { type: 'string' },
  bilateral: { type: 'string' },
  gaussian: { type: 'string' },
} as const;

function numbers(value: string, flag: string, count: number, form: string): number[] {
  const parts = value.split(',').map(Number);
  if (parts.length !== count || parts.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new UsageError(`${flag} must be ${form}, ${count} positive numbers separated by commas (got "${value}").`);
  }
  return parts;
}

/** DeepLab v2's CRF, with --bilateral W,THETA_ALPHA,THETA_BETA, --gaussian W,THETA_GAMMA and the iteration flag applied. */
export function crfParams(v: Record<string, unknown>, itersFlag: 'iters' | 'crf-iters'): CrfParams {
  const p: CrfParams = { ...DEEPLAB_V2_CRF };
  if (v[itersFlag] !== undefined) p.iterations = parsePositive(v[itersFlag] as string, `--${itersFlag}`, 10);
  if (typeof v.bilateral === 'string') {
    const [weight, thetaAlpha, thetaBeta] = numbers(v.bilateral, '--bilateral', 3, 'W,THETA_ALPHA,THETA_BETA');
    p.bilateral = { weight: weight!, thetaAlpha: thetaAlpha!, thetaBeta: thetaBeta! };
  }
  if (typeof v.gaussian === 'string') {
    const [weight, theta] = numbers(v.gaussian, '--gaussian', 2, 'W,THETA_GAMMA');
    p.gaussian = { weight: weight!, theta: theta! };
  }
  return p;
}
