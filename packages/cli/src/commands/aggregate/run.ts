/**
 * `summary-inspect aggregate [--process NAME] [--since DATE]`: historical performance, as
 * inspect's `aggregateRows` computes it (a process with workers counts as one run); this file
 * lists the rows and prints.
 */
import { aggregateRows, listRows } from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { parseSince } from '../../parse.js';
import {
  escapeControl,
  formatCount,
  formatDate,
  formatDuration,
  formatPercent,
  formatRate,
  safeJson,
} from '../../render/format.js';
import { renderTable } from '../../render/table.js';
import { throwIfStoreUnusable } from '../../targets.js';

/** Aggregates across runs; exit 1 if some summary could not be read (the rest is aggregated). */
export async function runAggregate(context: Context): Promise<number> {
  if (context.args.length > 0)
    throw new CliError('E_USAGE', `aggregate takes no arguments (got "${context.args[0]}")`);
  const only = context.options.process as string | undefined;
  const since =
    typeof context.options.since === 'string'
      ? parseSince(context.options.since, context.now())
      : undefined;
  const result = await listRows(context.store, {
    now: context.now(),
    staleAfterSeconds: context.staleAfterSeconds,
    full: true,
    processName: only,
  });
  throwIfStoreUnusable(context, result.problems);
  const processes = aggregateRows(result.rows, { processName: only, since });
  const problems = [
    ...result.problems.map((p) => ({ path: p.location, code: p.code, message: p.message })),
    ...result.unusable.map((u) => ({ path: u.location, code: u.code, message: u.message })),
  ];
  const allProblems = problems;
  if (context.json) {
    context.write(
      `${safeJson({ processes, errors: allProblems.map((p) => ({ path: p.path, code: p.code, message: p.message })) })}\n`,
    );
  } else {
    if (processes.length === 0) context.write('no runs match\n');
    for (const p of processes) {
      context.write(`${context.colors.bold(`process ${escapeControl(p.process_name)}`)}\n`);
      const rows = p.runs.map((r) => [
        r.date === null ? '-' : formatDate(r.date).slice(0, 16),
        escapeControl(r.run_name),
        formatDuration(r.duration_seconds),
        formatCount(r.items_processed),
        formatRate(r.rate_per_second),
        r.rate_change_percent === null
          ? ''
          : `${r.rate_change_percent >= 0 ? '+' : ''}${r.rate_change_percent}%`,
        formatPercent(r.error_rate_percent),
        r.status.replaceAll('_', ' '),
      ]);
      rows.push([
        'total',
        `${p.totals.runs} runs`,
        formatDuration(p.totals.duration_seconds),
        formatCount(p.totals.items_processed),
        formatRate(p.totals.rate_per_second),
        '',
        formatPercent(p.totals.error_rate_percent),
        '',
      ]);
      context.write(
        `${renderTable(
          [
            { header: 'DATE' },
            { header: 'RUN' },
            { header: 'DURATION', align: 'right' },
            { header: 'ITEMS', align: 'right' },
            { header: 'RATE', align: 'right' },
            { header: 'CHANGE', align: 'right' },
            { header: 'ERRORS', align: 'right' },
            { header: 'STATUS' },
          ],
          rows,
        )}\n`,
      );
      const t = p.trend;
      context.write(
        `rate trend: ${t.percent_per_run === null ? 'not enough runs' : `${t.direction} (${t.percent_per_run >= 0 ? '+' : ''}${t.percent_per_run}% per run)`}\n\n`,
      );
    }
    for (const problem of allProblems) context.warn(`error: ${escapeControl(problem.message)}`);
  }
  return allProblems.length > 0 ? EXIT.invalid : EXIT.ok;
}
