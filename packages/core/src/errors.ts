/**
 * Every error this project throws carries a string `code`. Callers match on `code`, never on
 * the message or on `instanceof` (two installed copies of a package break `instanceof`).
 */
export type ErrorCode =
  | 'E_INVALID_NAME'
  | 'E_INVALID_ARGUMENT'
  | 'E_INVALID_INCREMENT'
  | 'E_INVALID_ERROR_TYPE'
  | 'E_INVALID_METRIC'
  | 'E_INVALID_LIMITS'
  | 'E_INVALID_SUMMARY'
  | 'E_UNSUPPORTED_VERSION'
  | 'E_INVALID_STATE'
  | 'E_LEASE_LOST'
  | 'E_CONCURRENT_RUN'
  | (string & {});

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

/** Whether `err` is an error carrying `code` (works across copies of the package). */
export function hasErrorCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
