/**
 * A process split across workers (shards), shown as one merged row with a per-worker
 * breakdown (DESIGN.md, "Workers"): counters summed, errors merged by type, earliest start,
 * latest end, status the most urgent of its workers, rate the sum of the running workers',
 * ETA against the summed `items_total`.
 */
import { codedRangeError, refName, roundHalfEven2 } from '@process-summary/core';
import { errorRatePercent, type SummaryRow, successRatePercent } from './rows.js';
import type { DisplayStatus } from './status.js';

/**
 * Display statuses from the most urgent to the least: what a merged row shows is the first
 * of these that any of its workers has. A dead worker needs a person now; a finished one
 * needs nobody.
 */
export const STATUS_URGENCY: readonly DisplayStatus[] = [
  'crashed',
  'failed',
  'stale',
  'interrupted',
  'running',
  'completed_with_failures',
  'completed',
];

/** The most urgent of `statuses` (see {@link STATUS_URGENCY}). */
export function mostUrgentStatus(statuses: Iterable<DisplayStatus>): DisplayStatus {
  let best = STATUS_URGENCY.length - 1;
  for (const status of statuses) best = Math.min(best, STATUS_URGENCY.indexOf(status));
  return STATUS_URGENCY[best] as DisplayStatus;
}

function sum(rows: readonly SummaryRow[], pick: (row: SummaryRow) => number): number {
  let total = 0;
  for (const row of rows) total += pick(row);
  return total;
}

/** The latest time a worker is known to have reached, in its own time base. */
function reachedBy(w: SummaryRow): number {
  if (w.end_time !== null) return w.end_time;
  if (w.duration_seconds !== null) return w.start_time + w.duration_seconds;
  if (w.time_base === 'epoch') {
    return Math.max(w.start_time, w.last_checkpoint_time ?? 0, w.last_update_time ?? 0);
  }
  return w.start_time;
}

function compareWorkers(a: SummaryRow, b: SummaryRow): number {
  const x = a.worker ?? '';
  const y = b.worker ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The merged row of one process's workers (every row of the same run and process; a coded
 * `E_INVALID_ARGUMENT` otherwise). Its `workers` holds the rows given, sorted by worker.
 * Times of one base only: a merged start, end and duration are `null` when workers mix
 * seed-format relative times with dates (they cannot be compared).
 */
export function mergeWorkers(rows: readonly SummaryRow[]): SummaryRow {
  const first = rows[0];
  if (
    first === undefined ||
    rows.some((r) => r.run_name !== first.run_name || r.process_name !== first.process_name)
  ) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      'inspect: mergeWorkers needs one or more rows of the same run and process',
    );
  }
  const workers = [...rows].sort(compareWorkers);
  const live = workers.filter((w) => w.current_rate_per_second !== null);
  const successful = sum(workers, (w) => w.items_successful);
  const failed = sum(workers, (w) => w.items_failed);
  const processed = sum(workers, (w) => w.items_processed);

  const errorTypes = new Map<string, number>();
  for (const w of workers) {
    for (const [type, count] of Object.entries(w.error_types)) {
      errorTypes.set(type, (errorTypes.get(type) ?? 0) + count);
    }
  }

  const timeBases = new Set(workers.map((w) => w.time_base));
  const oneBase = timeBases.size === 1;
  const start = Math.min(...workers.map((w) => w.start_time));
  const ends = workers.map((w) => w.end_time);
  const end = oneBase && ends.every((e) => e !== null) ? Math.max(...(ends as number[])) : null;
  // The span from the earliest start to the latest point any worker reached (its end, or
  // its latest save while it runs); it gives the whole process's rate. The duration itself
  // stays null while a worker runs, as in a single summary.
  const reached = Math.max(...workers.map(reachedBy));
  const span = oneBase ? Math.max(0, (end ?? reached) - start) : null;
  const duration = end === null ? null : span;

  const status = mostUrgentStatus(workers.map((w) => w.status));
  const reasons = workers
    .filter((w) => w.status === status && w.status_reason !== null)
    .map((w) => `${w.worker ?? '(no worker)'}: ${w.status_reason}`);

  const totals = workers.map((w) => w.items_total);
  const itemsTotal = totals.every((t) => t !== null)
    ? sum(workers, (w) => w.items_total ?? 0)
    : null;
  const currentRate =
    live.length > 0 ? roundHalfEven2(sum(live, (w) => w.current_rate_per_second ?? 0)) : null;
  const overallRate = span !== null && span > 0 ? roundHalfEven2(processed / span) : 0;
  const eta =
    currentRate !== null && currentRate > 0 && itemsTotal !== null
      ? roundHalfEven2(Math.max(0, itemsTotal - processed) / currentRate)
      : null;
  const max = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : Math.max(...known);
  };
  const min = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : Math.min(...known);
  };
  return {
    run_name: first.run_name,
    process_name: first.process_name,
    worker: null,
    location: refName({ runName: first.run_name, processName: first.process_name }),
    status,
    file_status:
      status === 'running' || status === 'crashed' || status === 'stale'
        ? 'running'
        : (workers.find((w) => w.status === status)?.file_status ?? first.file_status),
    status_reason: reasons.length > 0 ? reasons.join('; ') : null,
    time_base: timeBases.has('relative') ? 'relative' : 'epoch',
    seed_format: workers.some((w) => w.seed_format),
    items_processed: processed,
    items_successful: successful,
    items_failed: failed,
    items_retried: sum(workers, (w) => w.items_retried),
    items_total: itemsTotal,
    bytes_processed: sum(workers, (w) => w.bytes_processed),
    success_rate_percent: successRatePercent(successful, failed),
    error_rate_percent: errorRatePercent(successful, failed),
    processing_rate_per_second: overallRate,
    current_rate_per_second: currentRate,
    rate_per_second: currentRate ?? overallRate,
    error_count: sum(workers, (w) => w.error_count),
    error_types: Object.fromEntries(errorTypes),
    interruption_count: sum(workers, (w) => w.interruption_count),
    start_time: start,
    end_time: end,
    duration_seconds: duration,
    active_seconds: null,
    last_checkpoint_time: max(workers.map((w) => w.last_checkpoint_time)),
    last_update_time: max(workers.map((w) => w.last_update_time)),
    silent_seconds: min(workers.map((w) => w.silent_seconds)),
    eta_seconds: eta,
    owner: null,
    worker_count: workers.length,
    workers,
  };
}

/**
 * Rows with each process that has workers folded into one merged row ({@link mergeWorkers});
 * rows of processes without workers are kept as they are. Order: that of each process's
 * first row.
 */
export function groupWorkers(rows: readonly SummaryRow[]): SummaryRow[] {
  // Most listings have no worker at all: nothing to group, and a key per row would cost a
  // listing of 10,000 summaries more than judging them.
  if (!rows.some((row) => row.worker !== null)) return [...rows];
  const groups = new Map<string, SummaryRow[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.run_name, row.process_name]);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  const result: SummaryRow[] = [];
  for (const group of groups.values()) {
    if (group.some((r) => r.worker !== null)) result.push(mergeWorkers(group));
    else result.push(...group);
  }
  return result;
}

/**
 * Rows with every merged row replaced by its workers' rows: one row per stored summary (what
 * the Prometheus export and per-worker views need).
 */
export function flattenWorkers(rows: readonly SummaryRow[]): SummaryRow[] {
  return rows.flatMap((row) => (row.workers.length > 0 ? row.workers : [row]));
}
