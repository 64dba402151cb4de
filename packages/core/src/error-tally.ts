import { OVERFLOW_ERROR_TYPE, type SummaryLimits, truncateText } from './limits.js';
import type { ErrorDetail } from './types.js';

/**
 * Counts one error in `errors` (type → detail) within the limits: the type and message cut
 * to their lengths, a new type past `maxErrorTypes` counted under {@link OVERFLOW_ERROR_TYPE},
 * up to `maxErrorSamples` distinct sample messages per type. Shared by a live summary and a
 * replay of its journal, so both group errors the same way. Returns the cut type and message.
 */
export function tallyError(
  errors: Map<string, ErrorDetail>,
  limits: SummaryLimits,
  errorType: string,
  errorMessage: string,
  time: number,
): { type: string; message: string } {
  const type = truncateText(errorType, limits.maxErrorTypeLength);
  const message = truncateText(errorMessage, limits.maxMessageLength);
  let key = type;
  let detail = errors.get(type);
  if (detail === undefined) {
    const kept = errors.size - (errors.has(OVERFLOW_ERROR_TYPE) ? 1 : 0);
    if (kept >= limits.maxErrorTypes) {
      key = OVERFLOW_ERROR_TYPE;
      detail = errors.get(OVERFLOW_ERROR_TYPE);
    }
    if (detail === undefined) {
      detail = { count: 0, first_seen: time, last_seen: time, samples: [] };
      errors.set(key, detail);
    }
  }
  detail.count += 1;
  detail.last_seen = time;
  if (detail.samples.length < limits.maxErrorSamples) {
    const sample =
      key === type ? message : truncateText(`${type}: ${message}`, limits.maxMessageLength);
    if (!detail.samples.includes(sample)) detail.samples.push(sample);
  }
  return { type, message };
}
