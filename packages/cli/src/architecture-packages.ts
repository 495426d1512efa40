/**
 * The architecture packages seg builds models from: its own dependencies
 * whose package.json has a `seg` field naming the models they register
 * (`"seg": { "models": [...] }`; a test keeps the list in step with the
 * registrations). Read from package.json files alone, so that a model name
 * is checked without loading tfjs; a package that is not a dependency of
 * @seg/cli is not looked for.
 */
import { createRequire } from 'node:module';

export interface ArchitecturePackage {
  name: string;
  /** The models it registers, in registration order. */
  models: string[];
}

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  seg?: { models?: string[] };
}

const require = createRequire(import.meta.url);
let found: { packages: ArchitecturePackage[]; missing: string[] } | undefined;

/**
 * @seg/cli's dependencies that declare models, in its package.json's order;
 * `missing` names the dependencies that are not installed (any of them
 * might have been one).
 */
export function architecturePackages(): { packages: ArchitecturePackage[]; missing: string[] } {
  if (found) return found;
  // ../package.json is @seg/cli's from src/ and from dist/ alike.
  const own = require('../package.json') as PackageJson;
  const packages: ArchitecturePackage[] = [];
  const missing: string[] = [];
  for (const dep of Object.keys({ ...own.dependencies, ...own.optionalDependencies })) {
    let json: PackageJson;
    try {
      json = require(`${dep}/package.json`) as PackageJson;
    } catch (err) {
      // A package whose exports leave out ./package.json is no architecture package (they all export it).
      if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') missing.push(dep);
      continue;
    }
    if (json.seg) packages.push({ name: dep, models: json.seg.models ?? [] });
  }
  found = { packages, missing };
  return found;
}
