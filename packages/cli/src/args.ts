import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';
import { didYouMean } from '@seg/core/names';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one sentence naming the flag. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * `--lr -1` would make parseArgs take "-1" for an option and answer with its
 * own three-line message; a string flag followed by a negative number gets
 * it as its value (`--lr=-1`), so our check of the value speaks instead.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parseVerbArgs(verb: string, argv: string[], options: Options, allowPositionals = false): ParsedArgs {
  const all = { ...options, help: { type: 'boolean' } } as Options;
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options: all, strict: true, allowPositionals });
  } catch (err) {
    const msg = (err as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
    if (/Unknown option/.test(msg)) {
      const near = flag ? didYouMean(flag.replace(/^-+/, '').replace(/=.*$/, ''), Object.keys(all), (f) => `--${f}`) : '';
      throw new UsageError(`seg ${verb} does not take ${flag ?? 'that option'}; ${near || `see seg ${verb} --help.`}`);
    }
    if (/argument missing/.test(msg)) throw new UsageError(`${flag ?? 'an option'} needs a value; see seg ${verb} --help.`);
    if (/Unexpected argument/.test(msg)) throw new UsageError(`seg ${verb} takes no positional arguments (got ${/'([^']+)'/.exec(msg)?.[1] ?? 'one'}); see seg ${verb} --help.`);
    throw new UsageError(`seg ${verb}: ${msg}`);
  }
}
