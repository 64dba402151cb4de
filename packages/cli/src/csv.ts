/** CSV (RFC 4180) of summary rows: one header line, one line per summary. */
import { escapeControl } from './render/format.js';
import type { SummaryRow } from './view.js';

/** The columns, in order: every field of {@link SummaryRow}. */
export const CSV_COLUMNS: readonly (keyof SummaryRow)[] = [
  'run_name',
  'process_name',
  'path',
  'status',
  'file_status',
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
  'error_count',
  'interruption_count',
  'start_time',
  'end_time',
  'duration_seconds',
  'last_checkpoint_time',
  'last_update_time',
  'eta_seconds',
  'stale_reason',
];

/** Text a spreadsheet would evaluate as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A field: empty for null, quoted when needed; control characters escaped, never raw; text
 * that a spreadsheet would run as a formula is prefixed with `'` (numbers are left alone).
 */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = escapeControl(String(value));
  if (typeof value === 'string' && FORMULA_START.test(value)) text = `'${text}`;
  return /[",\s]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV document, lines ending in CRLF as RFC 4180 says. */
export function toCsv(rows: readonly SummaryRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
