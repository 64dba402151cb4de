/**
 * The annotations' templates: `{{name}}` replaced by a value as plain text. No expressions,
 * no code, no helpers: a rules file cannot make the alerter run anything. Unknown names are
 * refused when the rules are read, not when an alert fires at 3 a.m.
 */
import { ProcessSummaryError, quote } from '@process-summary/core';
import { CSV_COLUMNS, type SummaryRow } from '@process-summary/inspect';

/**
 * The SummaryRow fields a template may name: every scalar one, as the CSV export has them
 * (`worker` is the alert's own name, below).
 */
export const ROW_FIELDS: readonly string[] = CSV_COLUMNS.filter((column) => column !== 'worker');

/** Names of the alert itself (beside the row's fields and `labels.<key>`). */
export const ALERT_FIELDS = ['rule', 'severity', 'run', 'process', 'worker', 'value'] as const;

const KNOWN = new Set<string>([...ALERT_FIELDS, ...ROW_FIELDS]);
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** What a template is rendered with. */
export interface TemplateContext {
  rule: string;
  severity: string;
  run: string;
  process: string;
  worker: string | null;
  value: number | string | null;
  labels: Readonly<Record<string, string>>;
  row: SummaryRow | null;
}

/**
 * Checks that every `{{name}}` of `template` is known (`labels.<key>` must be one of
 * `labelKeys`); `E_INVALID_ARGUMENT` naming `where` and the name otherwise.
 */
export function checkTemplate(template: string, labelKeys: readonly string[], where: string): void {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (KNOWN.has(name)) continue;
    if (name.startsWith('labels.') && labelKeys.includes(name.slice('labels.'.length))) continue;
    throw new ProcessSummaryError(
      'E_INVALID_ARGUMENT',
      `alerts: ${where}: unknown template name ${quote(name)} (known: ${[...ALERT_FIELDS, 'labels.<key of this rule>', ...ROW_FIELDS].join(', ')})`,
    );
  }
}

/** `template` with each `{{name}}` replaced by its value as text (`null` and unknown: empty). */
export function renderTemplate(template: string, context: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_all, name: string) => text(lookup(name, context)));
}

function lookup(name: string, context: TemplateContext): unknown {
  if (name.startsWith('labels.')) return context.labels[name.slice('labels.'.length)];
  switch (name) {
    case 'rule':
    case 'severity':
    case 'run':
    case 'process':
    case 'worker':
    case 'value':
      return context[name];
  }
  const row = context.row as unknown as Record<string, unknown> | null;
  return row !== null && Object.hasOwn(row, name) ? row[name] : null;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
