/**
 * The fast path of the summary check for the one part of a summary that can be large: the
 * `progress_updates` array. A seed-format file keeps every update (20,000 in a long run), and
 * checking them through the schema validator and the JSON hazard walk costs a command that
 * reads one such file (`summary-inspect show`) about 20 ms on a cold start, more than reading
 * and parsing the file does.
 *
 * {@link progressUpdatesSetAside} checks every update by hand, in one monomorphic loop, for
 * exactly what the schema (`$defs/progressUpdate`) and the hazard walk (`findJsonHazard`)
 * would refuse in it. When every update passes, the caller validates a shallow copy of the
 * summary whose `progress_updates` is empty: the array then contributes no issue, so the
 * result — valid or not, and every issue with its path and wording — is the one the full
 * check would give. When one update does not pass (or the summary is not a plain object), it
 * returns `undefined` and the caller runs the full check on the summary itself: an invalid
 * update is always reported by the schema validator, in its words.
 *
 * Must follow the schema: `test/progress-check.test.ts` holds the schema's definitions this was
 * written for, and compares this check with the full check (the precompiled ajv validator and
 * the hazard walk) on generated updates and summaries.
 */
import { findJsonHazard } from './json.js';
import { MAX_SUMMARY_DEPTH } from './limits.js';

/** `$defs/time`: seconds within what a JavaScript Date holds. */
const TIME_LIMIT = 8_640_000_000_000;

/**
 * The depth the hazard walk has left for the value of an update's field: it enters the summary
 * with {@link MAX_SUMMARY_DEPTH}, the array with one less, an update with two less, a field's
 * value with three less.
 */
const FIELD_DEPTH = MAX_SUMMARY_DEPTH - 3;

/** `$defs/count`: an integer >= 0 (ajv's "integer" is a finite number without a fraction). */
function isCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

/**
 * True when no update in `updates` would give a schema issue or a JSON hazard: each is an
 * object that is not an array, with `timestamp` a number within ±8.64e12, `elapsed_seconds` a
 * finite number, `message` a string, `items_processed`, `items_successful` and `items_failed`
 * integers >= 0, and every field (the caller's extra ones too) free of non-finite numbers and
 * of nesting past the summary's depth limit. Reads the fields as the validator and the hazard
 * walk do (`update.timestamp`, `for…in`).
 */
export function progressUpdatesPass(updates: readonly unknown[]): boolean {
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i] as Record<string, unknown>;
    if (typeof update !== 'object' || update === null || Array.isArray(update)) return false;
    const timestamp = update.timestamp;
    // NaN and ±Infinity fail both comparisons.
    if (typeof timestamp !== 'number' || !(timestamp >= -TIME_LIMIT && timestamp <= TIME_LIMIT)) {
      return false;
    }
    if (!Number.isFinite(update.elapsed_seconds)) return false;
    if (typeof update.message !== 'string') return false;
    if (!isCount(update.items_processed)) return false;
    if (!isCount(update.items_successful)) return false;
    if (!isCount(update.items_failed)) return false;
    // What the hazard walk looks at in an update: every enumerable field, inherited ones too.
    for (const key in update) {
      const value = update[key];
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) return false;
      } else if (typeof value === 'object' && value !== null) {
        if (findJsonHazard(value, FIELD_DEPTH) !== undefined) return false;
      }
    }
  }
  return true;
}

/**
 * A shallow copy of `dict` with an empty `progress_updates`, when its updates pass
 * {@link progressUpdatesPass}: validating the copy gives the result validating `dict` would.
 * `undefined` when the fast path does not apply — `dict` is not a plain object whose own
 * fields are all enumerable data properties (a copy would then not read the same), it has no
 * `progress_updates` array of its own, or an update does not pass — and `dict` must be checked
 * in full.
 */
export function progressUpdatesSetAside(dict: unknown): Record<string, unknown> | undefined {
  if (
    typeof dict !== 'object' ||
    dict === null ||
    Object.getPrototypeOf(dict) !== Object.prototype
  ) {
    return undefined;
  }
  const updates = Object.getOwnPropertyDescriptor(dict, 'progress_updates')?.value;
  if (!Array.isArray(updates)) return undefined;
  for (const key of Object.getOwnPropertyNames(dict)) {
    const field = Object.getOwnPropertyDescriptor(dict, key);
    if (field === undefined || !field.enumerable || !('value' in field)) return undefined;
  }
  if (!progressUpdatesPass(updates)) return undefined;
  // The spread keeps every key in its place (`__proto__` included, as an own key) and
  // `progress_updates` where it was.
  return { ...(dict as Record<string, unknown>), progress_updates: [] };
}
