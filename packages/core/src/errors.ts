/**
 * Every code an error of this project carries, in one closed list (a test checks that every
 * code thrown anywhere in the repository is here). Callers match on `code` with
 * {@link hasErrorCode}, never on the message or on `instanceof` (two installed copies of a
 * package break `instanceof`).
 */
export const ERROR_CODES = [
  // ---- bad input, refused before anything changes
  /** A run, process or worker name that could escape the root or break a file name. */
  'E_INVALID_NAME',
  /** An argument or option of the wrong type or value. */
  'E_INVALID_ARGUMENT',
  /** A counter increment that is not a non-negative safe integer. */
  'E_INVALID_INCREMENT',
  /** `addError` without a non-empty error type. */
  'E_INVALID_ERROR_TYPE',
  /** A custom metric that is not JSON (BigInt, function, cycle, NaN) or too deep or large. */
  'E_INVALID_METRIC',
  /** An unknown limit, or a limit below its minimum. */
  'E_INVALID_LIMITS',
  /** A journal cursor or offset that is not the start of an entry. */
  'E_INVALID_OFFSET',
  /** An operation the object's state does not allow. */
  'E_INVALID_STATE',
  /** The command line is wrong (CLI). */
  'E_USAGE',
  // ---- what is stored
  /** Not a summary: bad JSON, a schema violation, truncated, empty. */
  'E_INVALID_SUMMARY',
  /** Written by a newer version of this library. */
  'E_UNSUPPORTED_VERSION',
  /** The summary and its backup are both unusable (moved aside) and nothing rebuilds it. */
  'E_CORRUPT',
  /** A journal line that is not a valid event (reported by readers, not thrown). */
  'E_CORRUPT_EVENT',
  /** A journal with no usable event: nothing to rebuild a summary from. */
  'E_NO_EVENTS',
  /** A summary that names another run, process or worker than where it is stored. */
  'E_NAME_MISMATCH',
  /** Larger than the store's limit: not read, or not written. */
  'E_TOO_LARGE',
  /** There is no such run, process or file. */
  'E_NOT_FOUND',
  /** It exists but cannot be read, or is not what it claims (a FIFO, a directory, a symlink). */
  'E_UNREADABLE',
  /** A directory was expected (a store root that is a file). */
  'E_NOT_A_DIRECTORY',
  // ---- the medium
  /** The file system or database refused; the system error is the `cause`. */
  'E_IO',
  /** The store cannot be reached or is not installed (e.g. a database driver missing). */
  'E_STORE_UNAVAILABLE',
  /** The store lacks a capability the caller asked for (e.g. `archive` for `fresh: true`). */
  'E_UNSUPPORTED',
  /** A queued write was replaced by a newer one before it ran (internal to coalescing). */
  'E_SUPERSEDED',
  // ---- ownership
  /** Another live process owns the summary; the message names it (pid, host, since). */
  'E_CONCURRENT_RUN',
  /** The lease is no longer current (taken over or released): its owner must stop writing. */
  'E_LEASE_LOST',
  /** A consumer-state document changed since it was read (another writer): read it again. */
  'E_CONFLICT',
  /** A request without the credentials a server asks for (the dashboard's token). */
  'E_UNAUTHORIZED',
] as const satisfies readonly `E_${string}`[];

/** The code of an error of this project; see {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A problem found by schema validation: where (a JSON Pointer) and what. */
export interface ValidationIssue {
  /** JSON Pointer into the document, `""` for the root, e.g. `/progress_updates/3/timestamp`. */
  path: string;
  /** What is wrong there, e.g. `must be integer`. */
  message: string;
  /** What the schema expected, when it says (a type, a constant, a key). */
  expected?: string | undefined;
  /** A short rendering of the value found there. */
  found?: string | undefined;
}

/** The error class of every package in this project. */
export class ProcessSummaryError extends Error {
  readonly code: ErrorCode;
  /** Validation problems, for `E_INVALID_SUMMARY`. */
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; issues?: readonly ValidationIssue[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProcessSummaryError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

// What JSON.stringify leaves as it is but a terminal or a log viewer acts on: DEL and the C1
// controls (0x9b is a CSI), line and paragraph separators, bidirectional overrides.
const UNSAFE_IN_MESSAGES = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` quoted for an error message: a string as JSON (control characters escaped) with the
 * characters JSON leaves raw but terminals act on escaped too. Messages quote with it whatever
 * came from a caller or a file (names, keys, paths, values), so printing one cannot move a
 * cursor, clear a screen or reorder text.
 */
export function quote(value: unknown): string {
  const text =
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null
      ? JSON.stringify(value)
      : String(value);
  return escapeUnsafe(text);
}

/** {@link quote} without the quotes, for text inside a quoted path. */
export function escapeForMessage(text: string): string {
  return escapeUnsafe(JSON.stringify(text).slice(1, -1));
}

function escapeUnsafe(text: string): string {
  return text.replace(
    UNSAFE_IN_MESSAGES,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A coded `TypeError`: the argument has the wrong type. */
export function codedTypeError(code: ErrorCode, message: string): TypeError & { code: ErrorCode } {
  return Object.assign(new TypeError(message), { code });
}

/** A coded `RangeError`: the argument has the right type but an unacceptable value. */
export function codedRangeError(
  code: ErrorCode,
  message: string,
): RangeError & { code: ErrorCode } {
  return Object.assign(new RangeError(message), { code });
}

/**
 * Whether `err` is an error carrying `code`: the one way to test a code (works across copies
 * of the package, where `instanceof ProcessSummaryError` does not).
 */
export function hasErrorCode<C extends ErrorCode>(
  err: unknown,
  code: C,
): err is Error & { readonly code: C } {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}
