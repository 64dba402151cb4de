/**
 * Durations of the rules file: `30s`, `2m`, `1h30m`, `1d`, or a number of seconds. One small
 * parser so that `for`, `no_progress_for` and the settings read the same way everywhere.
 */
import { ProcessSummaryError, quote } from '@process-summary/core';

const UNIT_SECONDS: Readonly<Record<string, number>> = { d: 86_400, h: 3_600, m: 60, s: 1 };
const PART = /(\d+)([dhms])/gy;
/** The longest duration accepted: a year, far past any sensible `for` or repeat interval. */
export const MAX_DURATION_SECONDS = 366 * 86_400;

/**
 * Seconds of `value` (`30s`, `2m`, `1h30m`, `1d`, or a non-negative number of seconds); units
 * descend and appear once. `E_INVALID_ARGUMENT` naming `where` otherwise.
 */
export function parseDuration(value: unknown, where: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= MAX_DURATION_SECONDS) return value;
    throw invalidDuration(value, where);
  }
  if (typeof value !== 'string' || value === '') throw invalidDuration(value, where);
  PART.lastIndex = 0;
  let seconds = 0;
  let lastUnit = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let match = PART.exec(value); match !== null; match = PART.exec(value)) {
    const unit = UNIT_SECONDS[match[2] as string] as number;
    if (unit >= lastUnit) throw invalidDuration(value, where);
    lastUnit = unit;
    seconds += Number(match[1]) * unit;
    end = PART.lastIndex;
  }
  if (end !== value.length || seconds > MAX_DURATION_SECONDS) throw invalidDuration(value, where);
  return seconds;
}

function invalidDuration(value: unknown, where: string): ProcessSummaryError {
  return new ProcessSummaryError(
    'E_INVALID_ARGUMENT',
    `alerts: ${where}: ${quote(value)} is not a duration (write e.g. 30s, 2m, 1h30m, 1d, or seconds as a number, at most 366d)`,
  );
}

/** `seconds` written the way the rules file writes durations (`1h30m`, `0s`). */
export function formatDuration(seconds: number): string {
  let rest = Math.round(seconds);
  if (rest === 0) return '0s';
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
