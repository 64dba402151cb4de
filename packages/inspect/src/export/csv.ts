/**
 * The CSV export (RFC 4180): one header line, one line per row. A merged process is a
 * `merged` line followed by its `worker` lines, so a spreadsheet sums either kind, never
 * both (filter on the `row` column).
 */
import { csvField } from '../escape.js';
import type { SummaryRow } from '../rows.js';
import type { Formatter } from './formatter.js';

type Column = Exclude<keyof SummaryRow, 'workers' | 'error_types' | 'owner'>;

/** The columns after `row`, in order: every scalar field of a row. */
export const CSV_COLUMNS: readonly Column[] = [
  'run_name',
  'process_name',
  'worker',
  'worker_count',
  'location',
  'status',
  'file_status',
  'status_reason',
  'time_base',
  'seed_format',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'items_total',
  'bytes_processed',
  'success_rate_percent',
  'error_rate_percent',
  'processing_rate_per_second',
  'current_rate_per_second',
  'rate_per_second',
  'error_count',
  'interruption_count',
  'start_time',
  'end_time',
  'duration_seconds',
  'active_seconds',
  'last_checkpoint_time',
  'last_update_time',
  'silent_seconds',
  'eta_seconds',
];

function line(kind: 'summary' | 'merged' | 'worker', row: SummaryRow): string {
  return [kind, ...CSV_COLUMNS.map((c) => row[c])].map(csvField).join(',');
}

/** The CSV document, lines ending in CRLF as RFC 4180 says. */
export function toCsv(rows: readonly SummaryRow[]): string {
  const lines = [['row', ...CSV_COLUMNS].join(',')];
  for (const row of rows) {
    if (row.workers.length === 0) {
      lines.push(line('summary', row));
      continue;
    }
    lines.push(line('merged', row));
    for (const worker of row.workers) lines.push(line('worker', worker));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** CSV; text that a spreadsheet would run as a formula is defused. */
export const csvFormatter: Formatter = {
  name: 'csv',
  contentType: 'text/csv; charset=utf-8; header=present',
  format: toCsv,
};
