/**
 * The checks on what a caller hands a `ProcessSummary`: each throws a coded error before
 * anything changes, naming the method and the argument.
 */
import { codedRangeError, codedTypeError } from './errors.js';
import { copyJsonValue, type JsonObject } from './json.js';
import { assertValidName } from './names.js';
import type { InterruptionReason, ProcessOutcome } from './types.js';

/** Counter increments; every key optional, each a non-negative safe integer. */
export interface ItemCounts {
  processed?: number;
  successful?: number;
  failed?: number;
  retried?: number;
  bytes?: number;
}

const DEFAULT_INTERRUPTION_THRESHOLD_SECONDS = 300;
const PROGRESS_BASE_KEYS = new Set([
  'timestamp',
  'elapsed_seconds',
  'message',
  'items_processed',
  'items_successful',
  'items_failed',
]);
const OUTCOMES: ReadonlySet<string> = new Set<ProcessOutcome>(['completed', 'failed']);
const INTERRUPTION_REASONS: ReadonlySet<string> = new Set<InterruptionReason>([
  'signal',
  'exit',
  'crash',
  'reboot',
  'stale',
  'checkpoint_gap',
]);

export function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Checks the constructor's options; returns the interruption threshold, defaulted. */
export function checkSummaryOptions(options: {
  runName: unknown;
  processName: unknown;
  worker?: unknown;
  sessionId?: unknown;
  interruptionThresholdSeconds?: number | undefined;
}): number {
  if (typeof options !== 'object' || options === null) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'ProcessSummary: options must be an object');
  }
  assertValidName('run', options.runName);
  assertValidName('process', options.processName);
  if (options.worker != null) assertValidName('worker', options.worker);
  const threshold = options.interruptionThresholdSeconds ?? DEFAULT_INTERRUPTION_THRESHOLD_SECONDS;
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `interruptionThresholdSeconds must be a positive number, got ${threshold}`,
    );
  }
  if (options.sessionId !== undefined && !Number.isSafeInteger(options.sessionId)) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'sessionId must be an integer');
  }
  return threshold;
}

export function assertOutcome(outcome: unknown): asserts outcome is ProcessOutcome {
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `endProcess: outcome must be "completed" or "failed", got ${JSON.stringify(outcome)}`,
    );
  }
}

export function assertExitReason(reason: unknown): asserts reason is 'signal' | 'exit' {
  if (reason !== 'signal' && reason !== 'exit') {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      'markInterrupted: reason must be "signal" or "exit"',
    );
  }
}

export function assertInterruption(options: { reason: unknown; detail: unknown }): void {
  if (typeof options.reason !== 'string' || !INTERRUPTION_REASONS.has(options.reason)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `recordInterruption: unknown reason ${JSON.stringify(options.reason)}`,
    );
  }
  if (typeof options.detail !== 'string') {
    throw codedTypeError('E_INVALID_ARGUMENT', 'recordInterruption: detail must be a string');
  }
}

export function assertItemsTotal(total: number | null): void {
  if (total !== null && !isCount(total)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `setItemsTotal: total must be a non-negative integer or null, got ${String(total)}`,
    );
  }
}

export function assertErrorArguments(errorType: unknown, errorMessage: unknown): void {
  if (typeof errorType !== 'string' || errorType.length === 0) {
    throw codedTypeError(
      'E_INVALID_ERROR_TYPE',
      `addError: errorType must be a non-empty string, got ${typeof errorType === 'string' ? '""' : typeof errorType}`,
    );
  }
  if (typeof errorMessage !== 'string') {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      `addError: errorMessage must be a string, got ${typeof errorMessage}`,
    );
  }
}

/** The caller's extra fields of a progress update, copied as JSON; reserved keys refused. */
export function progressFields(message: unknown, fields: unknown): JsonObject {
  if (typeof message !== 'string') {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      `addProgressUpdate: message must be a string, got ${typeof message}`,
    );
  }
  const extra = copyJsonValue(fields, 'E_INVALID_ARGUMENT', 'progress fields');
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'addProgressUpdate: fields must be a plain object');
  }
  for (const key of Object.keys(extra)) {
    if (PROGRESS_BASE_KEYS.has(key)) {
      throw codedTypeError(
        'E_INVALID_ARGUMENT',
        `addProgressUpdate: field "${key}" is reserved; choose another name`,
      );
    }
  }
  return extra;
}

/** A custom metric's value, copied as JSON (no BigInt, functions, cycles, NaN). */
export function metricValue(key: unknown, value: unknown): ReturnType<typeof copyJsonValue> {
  if (typeof key !== 'string' || key.length === 0) {
    throw codedTypeError('E_INVALID_METRIC', 'setCustomMetric: key must be a non-empty string');
  }
  return copyJsonValue(value, 'E_INVALID_METRIC', `custom metric "${key}"`);
}

/** The error for counts `incrementItems` refused, naming the first bad key. */
export function invalidIncrement(counts: ItemCounts): Error {
  if (typeof counts !== 'object' || counts === null) {
    return codedTypeError('E_INVALID_INCREMENT', 'incrementItems: expected an object of counts');
  }
  for (const key of ['processed', 'successful', 'failed', 'retried', 'bytes'] as const) {
    const value: unknown = counts[key];
    if (value === undefined || (typeof value === 'number' && isCount(value))) continue;
    if (typeof value !== 'number') {
      return codedTypeError(
        'E_INVALID_INCREMENT',
        `incrementItems: ${key} must be a number, got ${typeof value}`,
      );
    }
    return codedRangeError(
      'E_INVALID_INCREMENT',
      `incrementItems: ${key} must be a non-negative integer, got ${value}`,
    );
  }
  return codedTypeError('E_INVALID_INCREMENT', 'incrementItems: invalid counts');
}
