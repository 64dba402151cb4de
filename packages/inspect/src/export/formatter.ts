/**
 * One interface for every export format, so a consumer (the CLI's `export`, the dashboard's
 * download links, `/metrics`) picks a format by name and never knows its details.
 */
import { ProcessSummaryError } from '@process-summary/core';
import type { SummaryRow } from '../rows.js';
import { csvFormatter } from './csv.js';
import { jsonFormatter } from './json.js';
import { prometheusFormatter } from './prometheus.js';

/** Turns rows into a document of one format. */
export interface Formatter {
  /** The format's name, as users type it: `json`, `csv`, `prometheus`. */
  readonly name: string;
  /** The HTTP `Content-Type` of the document. */
  readonly contentType: string;
  /** The document; every stored text in it escaped for the format. */
  format(rows: readonly SummaryRow[]): string;
}

/** Every export format, by name. */
export const FORMATTERS: readonly Formatter[] = [jsonFormatter, csvFormatter, prometheusFormatter];

/** The formatter named `name`; `E_INVALID_ARGUMENT` listing the names for any other. */
export function formatterFor(name: string): Formatter {
  const found = FORMATTERS.find((f) => f.name === name);
  if (found !== undefined) return found;
  throw new ProcessSummaryError(
    'E_INVALID_ARGUMENT',
    `inspect: unknown export format "${name}"; expected one of ${FORMATTERS.map((f) => f.name).join(', ')}`,
  );
}
