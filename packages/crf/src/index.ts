export { DenseCRF, type Compatibility, type CrfResult } from './dense-crf.js';
export { PermutohedralLattice, type LatticeLayout } from './permutohedral.js';
export { bilateralFeatures, positionFeatures } from './features.js';
export { DEEPLAB_V2_CRF, denseCrf, refinePrediction, type CrfInput, type CrfParams, type SoftmaxPrediction } from './deeplab.js';
