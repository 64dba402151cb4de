import { ProcessSummaryError } from '@process-summary/core';
import { errnoCode } from './fs-seam.js';

/**
 * The codes this package throws (core's `ProcessSummaryError` carries them). Callers match on
 * `code`, never on the message.
 * - `E_INVALID_NAME`: a run or process name that could escape the root (thrown by core's check).
 * - `E_INVALID_ARGUMENT`: a bad constructor option, or `save` given something else than a summary.
 * - `E_IO`: the file system refused (the errno error, e.g. `ENOSPC`, is the `cause`).
 * - `E_CORRUPT`: the summary, its backup and its journal give nothing usable, but history exists
 *   (quarantined copies, a journal without a usable event): refused, never a fresh start.
 * - `E_CORRUPT_EVENT`: a journal line that is not a valid event (yielded by the reader, not thrown).
 * - `E_INVALID_OFFSET`: the journal reader's start offset is not the start of a line (in the
 *   middle of one, or past the end: the journal was truncated or replaced).
 * - `E_TOO_LARGE`: a summary that would exceed `maxFileBytes` was not written.
 * - `E_NAME_MISMATCH`: the file names another run or process than its path (a copied file).
 * - `E_UNSUPPORTED_VERSION`: written by a newer version (from core; the file is left alone).
 * - `E_UNREADABLE`: a consumer-state document that is not a regular file (a link, a FIFO).
 * - `E_CONFLICT`: `writeState` with a version that is no longer the document's, or while
 *   another writer held its lock for too long; nothing written.
 * - A consumer-state document that is not one (empty, torn, not JSON, another key's) is
 *   `E_CORRUPT` for `readState` and `writeState` alike: never read as "no state".
 */
export type StoreErrorCode =
  | 'E_INVALID_NAME'
  | 'E_INVALID_ARGUMENT'
  | 'E_IO'
  | 'E_CORRUPT'
  | 'E_CORRUPT_EVENT'
  | 'E_INVALID_OFFSET'
  | 'E_TOO_LARGE'
  | 'E_NAME_MISMATCH'
  | 'E_UNSUPPORTED_VERSION'
  | 'E_UNREADABLE'
  | 'E_CONFLICT';

/** The codes of the warnings `load` returns (and logs). */
export type StoreWarningCode =
  | 'W_QUARANTINED'
  | 'W_RESTORED_FROM_BACKUP'
  | 'W_REBUILT_FROM_JOURNAL';

const PREFIX = 'process-summary/store-fs';

/** An `E_IO` error: `what` failed on `path`; the errno error is the cause. */
export function ioError(
  what: string,
  path: string,
  cause: unknown,
  advice = '',
): ProcessSummaryError {
  const errno = errnoCode(cause);
  const detail = cause instanceof Error ? cause.message : String(cause);
  const tail = advice === '' ? '' : ` ${advice}`;
  return new ProcessSummaryError(
    'E_IO',
    `${PREFIX}: ${what} ${path} failed (${errno ?? 'error'}: ${detail}).${tail}`,
    { cause },
  );
}

/** A coded error of this package with its message prefixed by the package name. */
export function storeError(
  code: StoreErrorCode,
  message: string,
  cause?: unknown,
): ProcessSummaryError {
  return new ProcessSummaryError(
    code,
    `${PREFIX}: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The cause of a short write: the file system accepted fewer bytes than asked without an
 * errno (a full disk or a quota usually answers this way before `ENOSPC`).
 */
export function shortWriteError(written: number, expected: number): Error & { code: string } {
  return Object.assign(new Error(`short write: ${written} of ${expected} bytes written`), {
    code: 'ESHORTWRITE',
  });
}
