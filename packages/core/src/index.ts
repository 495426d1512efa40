// Engine
export { tf, tfl, type Initializer } from './engine/tf.js';
export {
  initEngine,
  useBackend,
  engineInfo,
  engineRecord,
  type EngineRecord,
  describeEngine,
  parseBackendChoice,
  BACKEND_CHOICES,
  type BackendChoice,
  type EngineInfo,
} from './engine/backend.js';
export { ENGINES, ENGINE_MODULES, engineModule, type Engine } from './engine/engines.js';
export { EngineUnavailable, type EngineModule, type EngineMemory, type AutoPolicy, type TestPass } from './engine/engine-module.js';
export { shutdownWasmThreads } from './engine/wasm-threads.js';
export { conv2dFilterGrad, conv2dInputGrad, depthwiseFilterGrad, depthwiseInputGrad, convInfo } from './engine/conv-grad.js';

// Layers and blocks
export { Conv2D, DepthwiseConv2D, type Conv2DArgs, type DepthwiseConv2DArgs } from './layers/conv.js';
export { ConvBn, type ConvBnArgs } from './layers/conv-bn.js';
export { ResizeBilinear, type ResizeBilinearArgs } from './layers/resize.js';
export { CenterCrop } from './layers/crop.js';
export { MaxPoolWithArgmax, MaxUnpool, AdaptiveAvgPool2D, AdaptiveMaxPool2D, adaptiveBins } from './layers/pooling.js';
export { SeededDropout } from './layers/dropout.js';
export { LocalResponseNorm, type LrnArgs } from './layers/lrn.js';
export { CaffeImageNetInput, CAFFE_BGR_MEAN, ImageNetNormalize } from './layers/imagenet-input.js';
export { seededBuild, buildOverwriting, willBeOverwritten, initializerSeed, mixSeed, setNoiseStep } from './layers/seeds.js';
export * from './blocks/conv-blocks.js';
export { bilinearKernel, bilinearTransposeWeights, transposedUpsample, type TransposedUpsampleOptions } from './blocks/upsample.js';

// Backbones
export { vgg16, vgg16Encoder, VGG16_STAGES, type Vgg16Options, type Vgg16Taps } from './backbones/vgg.js';
export { resnet, resnetEncoder, RESNET_BLOCKS, dilationForOutputStride, type ResNetOptions, type ResNetTaps } from './backbones/resnet.js';
export { resnetCaffe, caffeBlockName, caffeBnName, CAFFE_RESNET_LAYERS } from './backbones/resnet-caffe.js';
export { type ResNetLayout } from './backbones/resnet-options.js';
export { loadImageNetWeights, readImageNetWeights, applyImageNetStart, imagenetStartLayers, assertPretrainedAvailable, resolveBackboneStart, PRETRAINED_WEIGHTS, PRETRAINED, IMAGENET_LAYERS, type BackboneStartOptions, type Pretrained } from './backbones/pretrained.js';
export { scaled } from './backbones/width.js';
export { atStride, deepest, tap, type Encoder, type Tap } from './backbones/encoder.js';
// ImageNet weights in torchvision's layout (the Hub's safetensors files)
export * from './weights/index.js';
export { loadTorchvisionWeights, torchToTfKernel, type TorchvisionLoadOptions, type VggClassifierLayer } from './weights/load-torchvision.js';
export { imagenetClassifier, archOfFile, archOfHeader, type ImageNetClassifier } from './weights/imagenet-classifier.js';
export { imagenetInput, resizeAntialiased } from './weights/imagenet-transform.js';
export { torchvisionTensors, type TensorSpec } from './weights/torchvision-tensors.js';
export { seededRange, seededValue, writeSeededWeights } from './weights/seeded-weights.js';
export { backboneEncoder, type BackboneName, type BackboneOptions, type ResNetBackbone, type Vgg16Backbone } from './backbones/backbone.js';

// Heads and the segmentation-model shape
export { fcnHead, type FcnHeadOptions } from './heads/fcn-head.js';
export { segmentationModel, type AuxiliaryHead, type SegmentationModelOptions } from './models/segmentation-model.js';

// Models, losses, training, I/O
export { countTrainableParams } from './models/params.js';
export { auxiliaryOutputs, auxiliaryLossWeights, withoutAuxiliary } from './models/auxiliary.js';
export { softmaxCrossEntropy, type CrossEntropyOptions } from './losses/cross-entropy.js';
export { trainStep, trainableVariables, type LossFn } from './train/step.js';
export { fileSystem, saveModel, writeFolderAtomically, recoverFolder } from './io/file-system.js';
export { lockRunDir, type LockOptions, type RunLock } from './io/run-lock.js';
export { writeError } from './io/write-error.js';
export { InputError, RunFailure, OutOfMemory, TrainingDiverged } from './errors/input-error.js';
export { isOutOfMemory, asOutOfMemory } from './engine/out-of-memory.js';
export { encodeNpy, parseNpy, type NpyArray } from './io/npy.js';
export { readMat, rowMajor2d, type MatNumericClass, type MatValue } from './io/mat5.js';
export { extractTar, type ExtractOptions, type TarEntry } from './io/tar.js';
export { extractZip } from './io/zip.js';
export { readSafetensors, readSafetensorsHeader, readSafetensorsHeaderSync, openSafetensorsSync, writeSafetensorsSync, type SafetensorsDtype, type SafetensorsEntry, type SafetensorsFile, type SafetensorsHeader } from './io/safetensors.js';
export { atomicWriteFile } from './io/atomic-write.js';
export { timeTask, type Timing } from './bench/timing.js';
export { peakRssMb, resetPeakRss, rssMb } from './bench/memory.js';

// Data, metrics, image helpers
export type { Dataset, Sample } from './data/types.js';
export { Random } from './data/random.js';
export { syntheticDataset, syntheticSample, type SyntheticOptions } from './data/synthetic.js';
export { ConfusionMatrix, type SegmentationMetrics } from './metrics/confusion.js';
export { boundaryF1, boundaryMask, classBoundaryF1, type BoundaryF1Options, type BoundaryScore, type ClassBoundaryF1Options } from './metrics/boundary.js';
export { pixelError, randError, randErrorOfSegmentations } from './metrics/isbi.js';
export { distanceTransform, squaredDistanceTransform } from './image/distance-transform.js';
export { connectedComponents } from './image/connected-components.js';
export { medianFrequencyWeights, datasetMedianFrequency } from './losses/median-frequency.js';
export { unetWeightMap, type WeightMapOptions } from './losses/unet-weight-map.js';
export { softDiceLoss } from './losses/dice.js';
export { withAuxiliary } from './losses/auxiliary.js';
export { augment, elasticField, type AugmentOptions } from './data/augment.js';
export { downscaled, downscaleSample, subset } from './data/resample.js';
export { readImage, readLabelPng, writePng, toByteRange, toUnitFloat, type RawImage } from './data/image-io.js';
export {
  camvid,
  isbi2012,
  voc,
  vocAug,
  ade20k,
  cityscapes,
  imageFolder,
  IGNORE,
  CAMVID_CLASSES,
  VOC_CLASSES,
  VOC_PALETTE,
  vocColormap,
  ADE20K_CLASSES,
  ADE20K_PALETTE,
  CITYSCAPES_PALETTE,
  CITYSCAPES_CLASSES,
  CITYSCAPES_LABEL_TO_TRAIN,
} from './data/datasets.js';
export { censusOf, labelWarning, IGNORED_WARNING_SHARE, type LabelCensus } from './data/label-census.js';
export { Optimizer, polyLr, type OptimizerConfig, type OptimizerState } from './train/optimizer.js';
export { BatchLoader, type Batch } from './train/batches.js';
export { saveCheckpoint, loadCheckpoint, loadCheckpointWeights, recoverCheckpoint, assertFiniteWeights, checkpointDir, type TrainState } from './train/checkpoint.js';
export { readTrainingLog, train, type TrainConfig, type TrainResult } from './train/trainer.js';
export { trainOrDiverged } from './train/train-or-diverged.js';
export { Progress, formatDuration } from './train/progress.js';
export { TaskProgress, formatBytes, type TaskProgressOptions } from './io/task-progress.js';
export { infer, inferBatch, tfjsNetwork, type InferOptions, type Network, type Prediction } from './infer/predict.js';
export { paddedToMultiple, padFill } from './infer/pad-to-multiple.js';
export { evaluate, type EvalOptions, type EvalResult } from './infer/evaluate.js';
export { registerModel, modelSpec, registeredModels, checkInputSize, checkPretrained, type ModelSpec, type BuildOptions } from './models/registry.js';
export { builtFacts, statedFacts, type ModelFacts } from './models/facts.js';
export { openDataset, FORMATS, type DatasetFormat } from './data/load.js';
export { DATASETS, CORE_DATA_DIR, datasetSource, manifestOf, downloadBytes, registerDataset, type ArchiveFile, type DatasetSource, type ManifestFile, type Preparation } from './data/catalog.js';
export { dataRoot, datasetStatus, listDatasets, datasetPath, isDatasetName, verifyDataset, fetchDataset, ensureDataset, resolveDataArg, downloadWords, type DatasetStatus, type DataState, type FetchOptions } from './data/store.js';
export { downloadFile, sha256File, type Expected, type DownloadOptions } from './io/download.js';
export { countMacs } from './models/macs.js';
export { readableChart, vegaLiteToSvg, svgToPng, writeChart, type VegaLiteSpec } from './report/vega.js';
export { writeReportsIndex } from './report/index-page.js';
export { camvidSplit, claimVerdict, formatMeanSd, formatP, meanSd, packageVersions, prepareRunDir, readResults, replicationDirs, runAll, runReplication, selectProfile, slugify, verdictMethod, type GridReplication, type MeanSd, type ProfileBase, type ReplicationDirs } from './report/experiment.js';
export { configHash, gridListing, parseGridArgs, readRunResults, runDirOf, runSelected, runStatus, selectRuns, shardRuns, type GridArgs, type GridRun, type RunStatus } from './report/run-grid.js';
export { compareSeeds, effectSize, incompleteBeta, logGamma, permutationTest, pooledSd, seedsNeeded, studentTQuantileTwoSided, studentTTwoSided, welchTTest, type Comparison, type WelchResult } from './report/statistics.js';
export { lossCurvesChart, seedSpreadChart } from './report/charts.js';
export { lossCurve, runProvenance, type RunProvenance } from './report/run-record.js';
export { planReplication, replicate, replicationMain, rewriteReport, runIdOf, type PlanOptions } from './replication/plan.js';
export type { MergeContext, PlannedRun, ProfileLike, ReplicationDefinition, RunResultOf, RunSetup, ScoreContext, Scored, TrainContext, TrainedNet } from './replication/definition.js';
export { camvidSplits, medianWeights, once, type CamvidSplits } from './replication/data.js';
export { claimRan, judgeClaim, sideStats, sideValues, type Claim, type Side } from './replication/claims.js';
export { CAMVID_PALETTE, labelOverlay } from './report/overlay.js';

// ONNX export and the onnx engine
export { exportOnnx, registerOnnxExporter, weightData, hwioToOihw, samePads, type LayerExport, type LayerExporter, type OnnxExport, type OnnxExportOptions } from './export/onnx.js';
export { OnnxGraph, OPSET } from './export/onnx-graph.js';
export { compareOnnx, loadOnnxRuntime, onnxSession, OnnxNetwork, runOnnx, type OnnxSessionOptions } from './engine/onnx-runtime.js';
