import { InputError } from '@seg/core/names';

/** A bad flag or argument: printed as one sentence, exit code 2, no stack trace. */
export class UsageError extends InputError {}
