/** An error the user can fix: printed as one sentence, exit code 2, no stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
}
