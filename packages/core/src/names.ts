/**
 * `@seg/core/names`: what the command line names (engines, zoo models) and
 * the errors it answers with, without tfjs or an engine, so that a wrong
 * name is refused at once.
 */
export { ENGINES, BACKEND_CHOICES, type Engine, type BackendChoice } from './engine/engines.js';
export { ZOO, zooEntry, type ZooEntry } from './zoo/reference.js';
export { registeredModelNames } from './models/registered.js';
export { InputError } from './errors/input-error.js';
export { didYouMean, editDistance, nearestName } from './suggest.js';
