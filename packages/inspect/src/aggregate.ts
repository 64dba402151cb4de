/**
 * Historical performance: for each process name, one entry per run (rates of different kinds
 * of process are not comparable), totals, and the trend of the rate from run to run. Pure
 * over rows: list them first (`listRows`); a process with workers counts as one run.
 */
import { codedRangeError, roundHalfEven2 } from '@process-summary/core';
import { errorRatePercent, type SummaryRow } from './rows.js';
import type { DisplayStatus } from './status.js';
import { epochOrNull } from './time.js';

/** One run of a process. */
export interface AggregateRun {
  run_name: string;
  /**
   * When the run started, epoch seconds; for a seed-format run (whose start is not a date),
   * when it was last saved; `null` when neither is known.
   */
  date: number | null;
  duration_seconds: number | null;
  items_processed: number;
  items_successful: number;
  items_failed: number;
  /** The whole run's rate. */
  rate_per_second: number;
  error_rate_percent: number;
  status: DisplayStatus;
  /** Rate change from the previous run, percent; `null` for the first or after a zero rate. */
  rate_change_percent: number | null;
}

/** The trend of the rate: least-squares slope over the runs, as a percent of the mean rate. */
export interface RateTrend {
  /** `null` with fewer than 2 runs or a mean rate of 0. */
  percent_per_run: number | null;
  /** `steady` within ±{@link STEADY_PERCENT} % per run. */
  direction: 'improving' | 'declining' | 'steady' | 'unknown';
}

/** Totals over a process's runs. */
export interface AggregateTotals {
  runs: number;
  items_processed: number;
  items_failed: number;
  duration_seconds: number;
  /** Items over summed durations (runs without a duration count for neither). */
  rate_per_second: number;
  error_rate_percent: number;
}

/** One process across runs. */
export interface ProcessAggregate {
  process_name: string;
  /** Oldest first (by `date`, then run name). */
  runs: AggregateRun[];
  totals: AggregateTotals;
  trend: RateTrend;
}

/** Options of {@link aggregateRows}. */
export interface AggregateOptions {
  /** Only this process name. */
  processName?: string | undefined;
  /** Only runs whose `date` is at or after this, epoch seconds (runs without a date are left out). */
  since?: number | undefined;
}

/** A slope smaller than this, in percent of the mean rate per run, is `steady`. */
export const STEADY_PERCENT = 2;

/** Ordinary least squares slope of `values` against their index, relative to their mean. */
export function rateTrend(values: readonly number[]): RateTrend {
  if (values.length < 2) return { percent_per_run: null, direction: 'unknown' };
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  if (meanY === 0) return { percent_per_run: null, direction: 'unknown' };
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  const percent = roundHalfEven2((num / den / meanY) * 100);
  const direction =
    Math.abs(percent) < STEADY_PERCENT ? 'steady' : percent > 0 ? 'improving' : 'declining';
  return { percent_per_run: percent, direction };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The date a run is placed at: its start, or for a seed-format run its last save. */
function runDate(row: SummaryRow): number | null {
  return epochOrNull(row.start_time) ?? row.last_update_time;
}

/**
 * Aggregates rows by process name, sorted by process name; each process's runs oldest first
 * with the rate change from the run before, totals, and the rate trend. `since` must be a
 * finite number (`E_INVALID_ARGUMENT` otherwise).
 */
export function aggregateRows(
  rows: readonly SummaryRow[],
  options: AggregateOptions = {},
): ProcessAggregate[] {
  const since = options.since;
  if (since !== undefined && !Number.isFinite(since)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `inspect: aggregateRows since must be a finite epoch time (got ${since})`,
    );
  }
  const groups = new Map<string, AggregateRun[]>();
  for (const row of rows) {
    if (options.processName !== undefined && row.process_name !== options.processName) continue;
    const date = runDate(row);
    if (since !== undefined && (date === null || date < since)) continue;
    const runs = groups.get(row.process_name) ?? [];
    runs.push({
      run_name: row.run_name,
      date,
      duration_seconds: row.duration_seconds,
      items_processed: row.items_processed,
      items_successful: row.items_successful,
      items_failed: row.items_failed,
      rate_per_second: row.processing_rate_per_second,
      error_rate_percent: row.error_rate_percent,
      status: row.status,
      rate_change_percent: null,
    });
    groups.set(row.process_name, runs);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([processName, runs]) => {
      runs.sort(
        (a, b) => (a.date ?? -Infinity) - (b.date ?? -Infinity) || compare(a.run_name, b.run_name),
      );
      runs.forEach((run, i) => {
        const previous = runs[i - 1];
        if (previous !== undefined && previous.rate_per_second > 0) {
          run.rate_change_percent = roundHalfEven2(
            (run.rate_per_second / previous.rate_per_second - 1) * 100,
          );
        }
      });
      let timedItems = 0;
      let duration = 0;
      for (const run of runs) {
        if (run.duration_seconds === null) continue;
        timedItems += run.items_processed;
        duration += run.duration_seconds;
      }
      const successful = runs.reduce((sum, r) => sum + r.items_successful, 0);
      const failed = runs.reduce((sum, r) => sum + r.items_failed, 0);
      return {
        process_name: processName,
        runs,
        totals: {
          runs: runs.length,
          items_processed: runs.reduce((sum, r) => sum + r.items_processed, 0),
          items_failed: failed,
          duration_seconds: duration,
          rate_per_second: duration > 0 ? roundHalfEven2(timedItems / duration) : 0,
          error_rate_percent: errorRatePercent(successful, failed),
        },
        trend: rateTrend(runs.map((r) => r.rate_per_second)),
      };
    });
}
