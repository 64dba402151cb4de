/**
 * The CLI's own error codes. `main.ts` is the one place that turns a code into an exit code;
 * commands throw coded errors (or return an exit code for an outcome that is not an error).
 */
export type CliErrorCode =
  /** Bad command line: unknown option, missing argument, bad value. Exit 2. */
  | 'E_USAGE'
  /** The run, process or file does not exist. Exit 3. */
  | 'E_NOT_FOUND'
  /** The file exists but cannot be read (permissions, not a regular file, too large). Exit 3. */
  | 'E_UNREADABLE'
  /** The file was read but is not a valid summary. Exit 1. */
  | 'E_INVALID_SUMMARY'
  /** `--root` (or the file store's root) names a file, not a directory. Exit 3. */
  | 'E_NOT_A_DIRECTORY'
  /** `--store` names a store whose package is not installed (`postgres://` needs store-pg). Exit 3. */
  | 'E_STORE_UNAVAILABLE';

/** An error the CLI reports as one line on stderr. */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
  }
}

/** Documented exit codes (see README "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** Invalid file(s); `watch` saw the process fail; `list` hit unreadable files. */
  invalid: 1,
  usage: 2,
  notFound: 3,
} as const;

/** The exit code for an error thrown by a command: by `code`, never by message or class. */
export function exitCodeFor(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'E_USAGE':
    case 'E_INVALID_NAME':
    case 'E_INVALID_ARGUMENT':
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return EXIT.usage;
    case 'E_INVALID_SUMMARY':
    case 'E_UNSUPPORTED_VERSION':
    case 'E_CORRUPT':
    case 'E_NAME_MISMATCH':
      return EXIT.invalid;
    default:
      // E_NOT_FOUND, E_UNREADABLE, E_NOT_A_DIRECTORY, E_STORE_UNAVAILABLE, E_IO,
      // E_TOO_LARGE and anything unexpected.
      return EXIT.notFound;
  }
}
