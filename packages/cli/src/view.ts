/**
 * The one row that `list --json`, `export --format json|csv` and the Prometheus export
 * describe a summary with. Field names are snake_case like the file; the shape is documented
 * in the README and kept stable.
 */
import { isRelativeTime } from '@process-summary/core';
import { type DisplayStatus, lastUpdateOf, type StatusJudgement } from './status.js';
import type { SummaryFile } from './summary-file.js';

/** A summary as the CLI reports it (see README, "list --json"). */
export interface SummaryRow {
  run_name: string;
  process_name: string;
  path: string;
  status: DisplayStatus;
  file_status: string;
  /** `epoch` or `relative` (a seed-format file's perf_counter seconds). */
  time_base: 'epoch' | 'relative';
  seed_format: boolean;
  items_processed: number;
  items_successful: number;
  items_failed: number;
  items_retried: number;
  items_total: number | null;
  bytes_processed: number;
  success_rate_percent: number;
  /** failed / (successful + failed) × 100, 2 places. */
  error_rate_percent: number;
  processing_rate_per_second: number;
  current_rate_per_second: number | null;
  error_count: number;
  interruption_count: number;
  start_time: number;
  end_time: number | null;
  duration_seconds: number | null;
  last_checkpoint_time: number | null;
  /** When the summary was last saved (its `generated_at`, else the file's mtime), epoch s. */
  last_update_time: number;
  eta_seconds: number | null;
  stale_reason: string | null;
}

/** Rounds to 2 places (for derived percentages). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** failed / (successful + failed) × 100; 0 when nothing was attempted. */
export function errorRatePercent(successful: number, failed: number): number {
  const attempted = successful + failed;
  return attempted > 0 ? round2((failed / attempted) * 100) : 0;
}

function numberOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** The row of a summary. Reads defensively: `list` may skip full schema validation. */
export function summaryRow(file: SummaryFile, judgement: StatusJudgement): SummaryRow {
  const d = file.dict;
  const successful = numberOr(d.items_successful, 0);
  const failed = numberOr(d.items_failed, 0);
  const start = numberOr(d.start_time, 0);
  return {
    run_name: String(d.run_name),
    process_name: String(d.process_name),
    path: file.path,
    status: judgement.status,
    file_status: judgement.fileStatus,
    time_base: isRelativeTime(start) ? 'relative' : 'epoch',
    seed_format: file.seedFormat,
    items_processed: numberOr(d.items_processed, 0),
    items_successful: successful,
    items_failed: failed,
    items_retried: numberOr(d.items_retried, 0),
    items_total: numberOr(d.items_total, null),
    bytes_processed: numberOr(d.bytes_processed, 0),
    success_rate_percent: numberOr(d.success_rate_percent, 0),
    error_rate_percent: errorRatePercent(successful, failed),
    processing_rate_per_second: numberOr(d.processing_rate_per_second, 0),
    current_rate_per_second: numberOr(d.current_rate_per_second, null),
    error_count: numberOr(d.error_count, 0),
    interruption_count: numberOr(d.interruption_count, 0),
    start_time: start,
    end_time: numberOr(d.end_time, null),
    duration_seconds: numberOr(d.duration_seconds, null),
    last_checkpoint_time: numberOr(d.last_checkpoint_time, null),
    last_update_time: lastUpdateOf(file),
    eta_seconds: numberOr(d.eta_seconds, null),
    stale_reason: judgement.staleReason,
  };
}

/** The best rate to show: the current session's while one runs, else the whole run's. */
export function displayRate(row: SummaryRow): number {
  const live = row.file_status === 'running';
  return live
    ? (row.current_rate_per_second ?? row.processing_rate_per_second)
    : row.processing_rate_per_second;
}
