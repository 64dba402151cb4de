/** The JSON export: `{ "summaries": [row, …] }`, merged rows with their workers nested. */
import { safeJsonStringify } from '../escape.js';
import type { SummaryRow } from '../rows.js';
import type { Formatter } from './formatter.js';

/** JSON, one object with a `summaries` array of rows (see README, "SummaryRow"). */
export const jsonFormatter: Formatter = {
  name: 'json',
  contentType: 'application/json; charset=utf-8',
  format: (rows: readonly SummaryRow[]) => `${safeJsonStringify({ summaries: rows })}\n`,
};
