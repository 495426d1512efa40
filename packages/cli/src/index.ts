export { main, type Io } from './main.js';
export { UsageError } from './errors.js';
export { listModels, type ModelListing } from './registry.js';
