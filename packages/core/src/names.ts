/**
 * `@seg/core/names`: what the command line names (engines, the models
 * registered so far) and the errors it answers with, without tfjs or an
 * engine, so that a wrong name is refused at once. The architecture
 * packages' model names are in their package.json (`"seg": { "models" }`).
 */
export { ENGINES, ENGINE_MODULES, BACKEND_CHOICES, type Engine, type BackendChoice } from './engine/engines.js';
export { engineTestFiles } from './engine/test-files.js';
export { registeredModelNames } from './models/registered.js';
export { InputError } from './errors/input-error.js';
export { didYouMean, editDistance, nearestName } from './suggest.js';
