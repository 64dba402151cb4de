/**
 * The conditions of a rule, one function each, pure over a summary's row and what the alerter
 * remembers of it. Each says whether it holds and the value it judged (for `{{value}}` and
 * notifications). Conditions about a run in progress (no progress, silence, rate, ETA) hold
 * only for a live status (`running`, `stale`): a finished run neither stalls nor slows.
 */
import { errorRatePercent, type SummaryRow } from '@process-summary/inspect';
import type { WindowCounts } from './history.js';
import type { RuleConditions } from './rules.js';

/** What a condition is judged on. */
export interface ConditionInput {
  /** Now, epoch seconds. */
  now: number;
  row: SummaryRow;
  /** The custom metrics of the summary, or of each worker of a merged row. */
  customMetrics: readonly Readonly<Record<string, unknown>>[];
  /** When items processed last changed, epoch seconds (see `RowHistory`). */
  progressSince: number | null;
  /** Counters over a window (see `RowHistory.windowCounts`). */
  windowCounts(windowSeconds: number): WindowCounts;
  /** Rates of earlier finished runs of the same process (items per second). */
  earlierRates: readonly number[];
}

/** Whether a condition holds, and the value it judged. */
export interface ConditionResult {
  holds: boolean;
  value: number | string | null;
}

const LIVE = new Set(['running', 'stale']);
const no = (value: number | string | null = null): ConditionResult => ({ holds: false, value });

function isLive(row: SummaryRow): boolean {
  return LIVE.has(row.status);
}

/** The displayed status is one of `statuses`; value: the status. */
export function statusIn(statuses: readonly string[], input: ConditionInput): ConditionResult {
  return { holds: statuses.includes(input.row.status), value: input.row.status };
}

/** A live run whose items processed have not changed for `seconds`; value: seconds unchanged. */
export function noProgressFor(seconds: number, input: ConditionInput): ConditionResult {
  if (!isLive(input.row) || input.progressSince === null) return no();
  const unchanged = Math.max(0, input.now - input.progressSince);
  return { holds: unchanged >= seconds, value: round(unchanged) };
}

/** A live run not saved for `seconds`; value: seconds since its last save. */
export function staleFor(seconds: number, input: ConditionInput): ConditionResult {
  const silent = input.row.silent_seconds;
  if (!isLive(input.row) || silent === null) return no();
  return { holds: silent >= seconds, value: round(silent) };
}

/**
 * Error rate (failed / attempted × 100) above `above`, overall or over a window, once at least
 * `min_attempted` items were attempted in it; value: the rate.
 */
export function errorRateAbove(
  condition: NonNullable<RuleConditions['error_rate_percent']>,
  input: ConditionInput,
): ConditionResult {
  const counts =
    condition.window_seconds === null
      ? { successful: input.row.items_successful, failed: input.row.items_failed }
      : input.windowCounts(condition.window_seconds);
  const rate = errorRatePercent(counts.successful, counts.failed);
  const attempted = counts.successful + counts.failed;
  return { holds: attempted >= condition.min_attempted && rate > condition.above, value: rate };
}

/** More than `above` errors of `type`; value: the count. */
export function errorTypeCountAbove(
  condition: NonNullable<RuleConditions['error_type_count']>,
  input: ConditionInput,
): ConditionResult {
  const count = Object.hasOwn(input.row.error_types, condition.type)
    ? (input.row.error_types[condition.type] ?? 0)
    : 0;
  return { holds: count > condition.above, value: count };
}

/** The middle of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * A live run's rate below `share` × the median rate of the earlier runs of its process, once
 * there are at least `min_runs` of them; value: the current rate.
 */
export function rateBelowMedianShare(
  condition: NonNullable<RuleConditions['rate_below_median_share']>,
  input: ConditionInput,
): ConditionResult {
  const rate = input.row.rate_per_second;
  if (!isLive(input.row) || input.earlierRates.length < condition.min_runs) return no(rate);
  return { holds: rate < condition.share * median(input.earlierRates), value: rate };
}

/** A live run whose projected end (now + ETA) falls after the deadline; value: that end, ISO. */
export function etaAfter(
  condition: NonNullable<RuleConditions['eta_after']>,
  input: ConditionInput,
): ConditionResult {
  const eta = input.row.eta_seconds;
  if (!isLive(input.row) || eta === null) return no();
  const end = input.now + eta;
  const iso =
    Number.isFinite(end) && Math.abs(end) < 8.64e12 ? new Date(end * 1000).toISOString() : null;
  return { holds: end > condition.deadline, value: iso };
}

/**
 * A custom metric above, below or equal to a value (a metric of another type, or absent, does
 * not hold); for a merged row, any worker's metric. Value: the metric.
 */
export function customMetric(
  condition: NonNullable<RuleConditions['custom_metric']>,
  input: ConditionInput,
): ConditionResult {
  let seen: number | string | null = null;
  for (const metrics of input.customMetrics) {
    if (!Object.hasOwn(metrics, condition.name)) continue;
    const value = metrics[condition.name];
    const scalar = typeof value === 'number' || typeof value === 'string' ? value : null;
    if (seen === null) seen = scalar ?? (typeof value === 'boolean' ? String(value) : null);
    const holds =
      condition.above !== undefined
        ? typeof value === 'number' && value > condition.above
        : condition.below !== undefined
          ? typeof value === 'number' && value < condition.below
          : value === condition.equals;
    if (holds) return { holds: true, value: scalar ?? String(value) };
  }
  return no(seen);
}

/**
 * Every condition of `when` (all must hold); value: the first condition's, in the order the
 * README lists them.
 */
export function evaluateConditions(when: RuleConditions, input: ConditionInput): ConditionResult {
  const results: ConditionResult[] = [];
  if (when.status !== undefined) results.push(statusIn(when.status, input));
  if (when.no_progress_for_seconds !== undefined) {
    results.push(noProgressFor(when.no_progress_for_seconds, input));
  }
  if (when.stale_for_seconds !== undefined) results.push(staleFor(when.stale_for_seconds, input));
  if (when.error_rate_percent !== undefined) {
    results.push(errorRateAbove(when.error_rate_percent, input));
  }
  if (when.error_type_count !== undefined) {
    results.push(errorTypeCountAbove(when.error_type_count, input));
  }
  if (when.rate_below_median_share !== undefined) {
    results.push(rateBelowMedianShare(when.rate_below_median_share, input));
  }
  if (when.eta_after !== undefined) results.push(etaAfter(when.eta_after, input));
  if (when.custom_metric !== undefined) results.push(customMetric(when.custom_metric, input));
  return {
    holds: results.length > 0 && results.every((r) => r.holds),
    value: results[0]?.value ?? null,
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
