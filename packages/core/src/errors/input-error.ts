/**
 * Errors seg reports as one sentence with no stack trace. The exit code says
 * whose move it is: 2 = the input (a flag, a file, a dataset, a checkpoint)
 * must change; 1 = the run failed (it diverged, ran out of memory or disk).
 */
export class InputError extends Error {
  readonly exitCode: number = 2;
}

/** A run that could not go on, for a reason the message states (exit 1). */
export class RunFailure extends Error {
  readonly exitCode: number = 1;
}

/** The loss or the weights stopped being finite. */
export class TrainingDiverged extends RunFailure {}

/** The engine could not allocate what a step needs. */
export class OutOfMemory extends RunFailure {}
