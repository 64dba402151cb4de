/** `summary-inspect [list]`: one row per (run, process) in the store, workers merged. */
import {
  type DisplayStatus,
  listRows,
  type SummaryRow,
  statusWords,
  type UnusableSummary,
} from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { problemOf, type ReadProblem } from '../../read.js';
import type { Colors } from '../../render/color.js';
import {
  escapeControl,
  formatAgo,
  formatCount,
  formatDuration,
  formatPercent,
  formatRowRate,
  safeJson,
} from '../../render/format.js';
import { renderTable } from '../../render/table.js';
import { throwIfStoreUnusable } from '../../targets.js';

/** The words of a status (inspect's, the same in every view), coloured by urgency here. */
export function statusLabel(status: DisplayStatus, colors: Colors): string {
  const words = statusWords(status);
  switch (status) {
    case 'running':
      return colors.cyan(words);
    case 'completed':
      return colors.green(words);
    case 'completed_with_failures':
    case 'interrupted':
      return colors.yellow(words);
    case 'stale':
    case 'crashed':
    case 'failed':
      return colors.red(words);
  }
}

/** The table cells of a row (a merged row's workers get their own, indented, below it). */
function cells(row: SummaryRow, context: Context, now: number): string[] {
  const { colors } = context;
  const worker =
    row.worker === null ? escapeControl(row.process_name) : `  @${escapeControl(row.worker)}`;
  return [
    row.worker === null ? escapeControl(row.run_name) : '',
    row.worker_count > 0 ? `${worker} (${row.worker_count} workers)` : worker,
    statusLabel(row.status, colors),
    formatCount(row.items_processed),
    formatCount(row.items_successful),
    row.items_failed > 0 ? colors.red(formatCount(row.items_failed)) : '0',
    formatPercent(row.success_rate_percent),
    formatRowRate(row),
    formatCount(row.error_count),
    formatCount(row.interruption_count),
    formatAgo(row.last_update_time, now),
    row.eta_seconds === null ? '-' : formatDuration(row.eta_seconds),
  ];
}

const COLUMNS = [
  { header: 'RUN' },
  { header: 'PROCESS' },
  { header: 'STATUS' },
  { header: 'PROCESSED', align: 'right' },
  { header: 'OK', align: 'right' },
  { header: 'FAILED', align: 'right' },
  { header: 'SUCCESS', align: 'right' },
  { header: 'RATE', align: 'right' },
  { header: 'ERRORS', align: 'right' },
  { header: 'INTERRUPTIONS', align: 'right' },
  { header: 'UPDATED', align: 'right' },
  { header: 'ETA', align: 'right' },
] as const;

/**
 * Lists every summary. A run with only history (a journal) is listed as needing repair; exit 1
 * when some summary could not be read or validated.
 */
export async function runList(context: Context): Promise<number> {
  if (context.args.length > 0) {
    throw new CliError(
      'E_USAGE',
      `list takes no arguments (got "${context.args[0]}"); use show <run>`,
    );
  }
  const now = context.now();
  // Validated as far as the listing shows (names and counters; the store's light check), as
  // inspect's listings are: a full schema check costs more than the rest of a 10,000-run
  // listing's judging (its compilation alone ~0.1 s, see bench/list.bench.ts). `show`,
  // `check`, `export` and `validate` read in full.
  const result = await listRows(context.store, {
    now,
    staleAfterSeconds: context.staleAfterSeconds,
    full: false,
  });
  throwIfStoreUnusable(context, result.problems);
  // A run with only history is a state of its own (listed, exit 0); a summary that is there
  // but unusable is an error (exit 1), even when repair could fix it (its message says so).
  const onlyHistory = (u: UnusableSummary) =>
    u.status === 'needs_repair' && u.code === 'E_NOT_FOUND';
  const needsRepair = result.unusable.filter(onlyHistory);
  const problems: ReadProblem[] = [
    ...result.problems.map(
      (p): ReadProblem => ({
        path: p.location,
        code: p.code,
        status: 'unreadable',
        message: p.message,
      }),
    ),
    ...result.unusable.filter((u) => !onlyHistory(u)).map(problemOf),
  ];
  if (context.json) {
    context.write(
      `${safeJson({
        root: context.storeLabel,
        summaries: result.rows,
        needs_repair: needsRepair.map((u) => ({
          run_name: u.run_name,
          process_name: u.process_name,
          worker: u.worker,
          location: u.location,
          message: u.message,
        })),
        errors: problems.map((p) => ({ path: p.path, code: p.code, message: p.message })),
      })}\n`,
    );
    return problems.length > 0 ? EXIT.invalid : EXIT.ok;
  }
  const rows: string[][] = [];
  for (const row of result.rows) {
    rows.push(cells(row, context, now));
    for (const worker of row.workers) rows.push(cells(worker, context, now));
  }
  for (const u of needsRepair) {
    const name = u.worker === null ? u.process_name : `${u.process_name}@${u.worker}`;
    rows.push([
      escapeControl(u.run_name),
      escapeControl(name),
      context.colors.red('needs repair'),
      ...Array.from({ length: COLUMNS.length - 3 }, () => '-'),
    ]);
  }
  if (rows.length > 0) {
    context.write(`${renderTable([...COLUMNS], rows)}\n`);
  } else if (problems.length === 0) {
    context.write(`no summaries under ${escapeControl(context.storeLabel)}\n`);
  }
  for (const u of needsRepair) {
    context.warn(
      `${escapeControl(u.message)} (summary-inspect repair ${escapeControl(u.run_name)} ${escapeControl(u.worker === null ? u.process_name : `${u.process_name}@${u.worker}`)})`,
    );
  }
  for (const problem of problems) context.warn(`error: ${escapeControl(problem.message)}`);
  return problems.length > 0 ? EXIT.invalid : EXIT.ok;
}
