import { type ErrorCode, ProcessSummaryError } from '@process-summary/core';

/**
 * SQLSTATE classes and driver errors that mean "the server cannot be reached now": the store
 * reconnects on the next call, so a caller may retry (a pipeline saves again later).
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is restarting
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '40P01', // deadlock_detected (retryable; should not happen with our lock order)
  '40001', // serialization_failure (retryable)
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether `err` (from pg) means the server could not be reached or dropped us. */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) {
      return true;
    }
  }
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  // node-postgres gives these without a code.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(
    message,
  );
}

/** Whether `err` is a statement cancelled by `statement_timeout`. */
function isStatementTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '57014';
}

/**
 * The coded error for a failed database call: `E_STORE_UNAVAILABLE` when the server cannot be
 * reached (or a statement timed out), `E_IO` for anything else the database refused. The
 * driver's error is the `cause`; codes of ours pass through unchanged.
 */
export function storeError(err: unknown, doing: string): Error {
  if (err instanceof ProcessSummaryError) return err;
  if (typeof (err as { code?: unknown } | null)?.code === 'string') {
    const code = (err as { code: string }).code;
    if (code.startsWith('E_') && !UNAVAILABLE_ERRNOS.has(code)) return err as Error;
  }
  const detail = String((err as { message?: unknown } | null)?.message ?? err);
  let code: ErrorCode = 'E_IO';
  let what = 'the database refused';
  if (isStatementTimeout(err)) {
    code = 'E_STORE_UNAVAILABLE';
    what = 'the statement timed out (statementTimeoutMs)';
  } else if (isUnavailable(err)) {
    code = 'E_STORE_UNAVAILABLE';
    what = 'the PostgreSQL server cannot be reached';
  }
  return new ProcessSummaryError(code, `process-summary: ${doing}: ${what}: ${detail}`, {
    cause: err,
  });
}
