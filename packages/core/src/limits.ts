import { codedRangeError, codedTypeError, quote } from './errors.js';

/**
 * What a summary keeps, so a run of days does not make each save slower than the last.
 * The complete history goes to the event journal; these bound the summary file.
 */
export interface SummaryLimits {
  /** Progress updates kept in the file, the first one included. Default 100. */
  maxProgressUpdates: number;
  /** Distinct error types kept; later new types are counted under {@link OVERFLOW_ERROR_TYPE}. Default 100. */
  maxErrorTypes: number;
  /** Distinct sample messages kept per error type. Default 3. */
  maxErrorSamples: number;
  /** Messages (progress, error) are cut to this many characters, the last being `…`. Default 500. */
  maxMessageLength: number;
  /** Error type names are cut to this many characters. Default 200. */
  maxErrorTypeLength: number;
  /**
   * A progress update whose extra fields serialize to more than this many bytes keeps them
   * only in the journal; the file's copy says `extra_fields_omitted`. Default 2048.
   */
  maxProgressFieldsBytes: number;
  /** Session entries kept in the file, the first one included. Default 100. */
  maxSessions: number;
  /** Journal events held in memory between saves; past this the oldest are dropped and counted. Default 100,000. */
  maxPendingEvents: number;
}

/**
 * How deep a custom metric's value or a progress field's value may nest arrays and objects
 * (a scalar is depth 0, `[[1]]` depth 2). Deeper values are refused when they are set
 * (`E_INVALID_METRIC`, `E_INVALID_ARGUMENT`), so every save can be read back.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How deep a summary document read from a file may nest: enough for every value the library
 * writes (a progress field sits 3 levels down, a custom metric 2, each at most
 * {@link MAX_JSON_DEPTH} deep). Deeper documents are refused with `E_INVALID_SUMMARY` before
 * anything walks them recursively.
 */
export const MAX_SUMMARY_DEPTH = 128;

/**
 * The custom metrics together, keys included, serialize to at most this many UTF-8 bytes
 * (1 MiB); `setCustomMetric` refuses a value that would pass it (`E_INVALID_METRIC`), so the
 * summary file stays far below any store's size limit.
 */
export const MAX_CUSTOM_METRICS_BYTES = 1024 * 1024;

/**
 * The extra fields of one progress update serialize to at most this many UTF-8 bytes (1 MiB);
 * `addProgressUpdate` refuses more (`E_INVALID_ARGUMENT`). Every update goes to the journal as
 * one line: with its message (at most 16,384 characters) this keeps the line far below the
 * line limit of any journal reader (store-fs: 16 MiB), so an acknowledged line is never taken
 * for a torn one.
 */
export const MAX_PROGRESS_FIELDS_BYTES = 1024 * 1024;

/**
 * Texts in journal events (messages, error types, interruption details, hosts, signals) are cut
 * to this many characters: at most 6 bytes each in JSON, so with the progress fields' bound a
 * journal line stays under 1.2 MiB.
 */
export const MAX_JOURNAL_TEXT_LENGTH = 16_384;

/** The key under which error types past {@link SummaryLimits.maxErrorTypes} are counted. */
export const OVERFLOW_ERROR_TYPE = '__other__';

/** The defaults: with them `JSON.stringify(getSummaryDict())` stays under 512 KB, custom metrics aside. */
export const DEFAULT_LIMITS: Readonly<SummaryLimits> = Object.freeze({
  maxProgressUpdates: 100,
  maxErrorTypes: 100,
  maxErrorSamples: 3,
  maxMessageLength: 500,
  maxErrorTypeLength: 200,
  maxProgressFieldsBytes: 2048,
  maxSessions: 100,
  maxPendingEvents: 100_000,
});

const MINIMUM: Readonly<SummaryLimits> = {
  maxProgressUpdates: 2,
  maxErrorTypes: 1,
  maxErrorSamples: 0,
  maxMessageLength: 16,
  maxErrorTypeLength: 16,
  maxProgressFieldsBytes: 0,
  maxSessions: 2,
  maxPendingEvents: 0,
};

/** Limits past which a value could not be written or read back. */
const MAXIMUM: Partial<Readonly<SummaryLimits>> = {
  maxProgressFieldsBytes: MAX_PROGRESS_FIELDS_BYTES,
  maxMessageLength: MAX_JOURNAL_TEXT_LENGTH,
  maxErrorTypeLength: MAX_JOURNAL_TEXT_LENGTH,
};

/** Merges `overrides` over the defaults; throws `E_INVALID_LIMITS` for an unknown key or a bad value. */
export function resolveLimits(overrides: Partial<SummaryLimits> | undefined): SummaryLimits {
  const limits: SummaryLimits = { ...DEFAULT_LIMITS };
  if (overrides === undefined) return limits;
  if (typeof overrides !== 'object' || overrides === null) {
    throw codedTypeError('E_INVALID_LIMITS', 'limits must be an object of limits');
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(MINIMUM, key)) {
      throw codedRangeError('E_INVALID_LIMITS', `unknown limit ${quote(key)}`);
    }
    if (value === undefined) continue;
    const min = MINIMUM[key as keyof SummaryLimits];
    if (!Number.isSafeInteger(value) || (value as number) < min) {
      throw codedRangeError(
        'E_INVALID_LIMITS',
        `limit ${key} must be an integer >= ${min}, got ${quote(value)}`,
      );
    }
    const max = MAXIMUM[key as keyof SummaryLimits];
    if (max !== undefined && (value as number) > max) {
      throw codedRangeError(
        'E_INVALID_LIMITS',
        `limit ${key} must be <= ${max}, got ${String(value)}`,
      );
    }
    limits[key as keyof SummaryLimits] = value as number;
  }
  return limits;
}

/** Cuts `text` to `max` characters (never inside a surrogate pair), ending in `…` when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
