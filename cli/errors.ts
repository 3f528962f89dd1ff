/** The CLI's failures: each becomes one `hallpass: ...` line on stderr and a non-zero exit. */

/** Something the user can fix on the command line (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** Anything else that stops the command (exit 1), with an optional hint line. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number = 1;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The API answered with its error body (API.md's status and code table). */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly details: Array<{ path: string; message: string }> = [],
    hint?: string,
  ) {
    super(message, hint);
  }
}
