/**
 * The arguments of the consumer-state capability (`readState`, `writeState`), checked the same
 * way by every store before it touches anything: a key that could name a file outside its
 * place or collide with another, an expected version that is not one, a value that would not
 * come back as it was given, a document too large.
 */
import { codedRangeError, codedTypeError, ProcessSummaryError, quote } from './errors.js';
import { copyJsonValue, type JsonValue } from './json.js';
import { MAX_JSON_DEPTH } from './limits.js';

/** The largest consumer-state document, as serialized JSON in UTF-8 bytes: 1 MiB. */
export const MAX_STATE_BYTES = 1024 * 1024;
/** A state key has at most this many `/`-separated segments. */
export const MAX_STATE_KEY_SEGMENTS = 4;
/** Each segment of a state key is at most this many characters. */
export const MAX_STATE_KEY_SEGMENT_LENGTH = 64;

const SEGMENT = /^[a-z0-9._-]+$/;
const utf8 = new TextEncoder();

/**
 * Refuses a key that is not one to {@link MAX_STATE_KEY_SEGMENTS} `/`-separated segments of
 * `[a-z0-9._-]`, each 1 to {@link MAX_STATE_KEY_SEGMENT_LENGTH} characters and not `.` or
 * `..` (`E_INVALID_ARGUMENT`). Lower case only: a case-insensitive file system would take two
 * keys for one file.
 */
export function assertValidStateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw codedTypeError('E_INVALID_ARGUMENT', `a state key must be a string, got ${typeof key}`);
  }
  const segments = key.split('/');
  let reason: string | undefined;
  if (key.length === 0) reason = 'it is empty';
  else if (segments.length > MAX_STATE_KEY_SEGMENTS) {
    reason = `it has ${segments.length} segments (at most ${MAX_STATE_KEY_SEGMENTS})`;
  } else {
    for (const segment of segments) {
      if (segment.length === 0)
        reason = 'it has an empty segment (a leading, trailing or double /)';
      else if (segment === '.' || segment === '..') reason = `a segment is ${quote(segment)}`;
      else if (segment.length > MAX_STATE_KEY_SEGMENT_LENGTH) {
        reason = `a segment is longer than ${MAX_STATE_KEY_SEGMENT_LENGTH} characters`;
      } else if (!SEGMENT.test(segment)) {
        reason = 'a segment has a character other than a-z, 0-9, ".", "_" and "-"';
      }
      if (reason !== undefined) break;
    }
  }
  if (reason !== undefined) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `invalid state key ${quote(key.slice(0, 80))}: ${reason}`,
    );
  }
}

/**
 * Refuses an expected version that is neither `null` (there must be no document) nor a
 * positive safe integer (`E_INVALID_ARGUMENT`).
 */
export function assertExpectedStateVersion(expected: unknown): asserts expected is number | null {
  if (expected === null) return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 1) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `expectedVersion must be null (no document yet) or a version read before (a positive integer), got ${typeof expected === 'number' ? expected : typeof expected}`,
    );
  }
}

/**
 * Checks every argument of `writeState` and returns the value as the JSON text to store:
 * `E_INVALID_ARGUMENT` for a bad key or expected version, or a value that does not survive
 * JSON unchanged (undefined, NaN, a Date, a cycle, nested deeper than
 * {@link MAX_JSON_DEPTH}); `E_TOO_LARGE` when the text exceeds {@link MAX_STATE_BYTES}.
 */
export function encodeStateWrite(key: unknown, value: unknown, expectedVersion: unknown): string {
  assertValidStateKey(key);
  assertExpectedStateVersion(expectedVersion);
  const copy = copyJsonValue(
    value,
    'E_INVALID_ARGUMENT',
    `state ${key}: the value`,
    MAX_JSON_DEPTH,
  );
  const text = JSON.stringify(copy);
  // 3 bytes per UTF-16 unit is the most UTF-8 takes: encode only when the bound is not enough.
  const bytes = text.length * 3 <= MAX_STATE_BYTES ? text.length : utf8.encode(text).length;
  if (bytes > MAX_STATE_BYTES) {
    throw new ProcessSummaryError(
      'E_TOO_LARGE',
      `process-summary: state ${key}: the value is ${bytes} bytes as JSON, more than the ${MAX_STATE_BYTES} a state document may hold; nothing was written`,
    );
  }
  return text;
}

/** The `E_CONFLICT` of a `writeState` whose expected version is not the document's. */
export function stateConflict(
  key: string,
  expected: number | null,
  found: number | null,
): ProcessSummaryError {
  const wanted = expected === null ? 'none' : `version ${expected}`;
  const actual = found === null ? 'there is none' : `it is at version ${found}`;
  return new ProcessSummaryError(
    'E_CONFLICT',
    `process-summary: state ${quote(key)} changed since it was read (expected ${wanted}, ${actual}); another writer got there first: read it again`,
  );
}

/** The value stored as `text`, parsed afresh: the caller's copy shares nothing with the store's. */
export function decodeStateValue(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}
