/**
 * `@seg/core/data`: the dataset catalogue and store alone, without the
 * engine, so `seg data` and the checks done before an engine loads stay fast.
 */
export { DATASETS, CORE_DATA_DIR, datasetSource, manifestOf, downloadBytes, registerDataset, type ArchiveFile, type DatasetSource, type ManifestFile, type Preparation } from './catalog.js';
export { dataRoot, datasetStatus, listDatasets, datasetPath, isDatasetName, verifyDataset, fetchDataset, ensureDataset, resolveDataArg, downloadWords, type DatasetStatus, type DataState, type FetchOptions } from './store.js';
export { formatBytes, TaskProgress } from '../io/task-progress.js';
export { InputError } from '../errors/input-error.js';
