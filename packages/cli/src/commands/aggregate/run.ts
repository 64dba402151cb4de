/**
 * `summary-inspect aggregate [--process NAME] [--since DATE]`: historical performance. For
 * each process name, one row per run (rates of different kinds of process are not
 * comparable), totals, and the trend of the rate from run to run.
 */
import { isRelativeTime } from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { loadSummaries } from '../../load.js';
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
import { scanRoot } from '../../scan.js';
import { errorRatePercent, round2 } from '../../view.js';

/** One run of a process, as `aggregate --json` reports it (see README). */
export interface AggregateRun {
  run_name: string;
  /** When the run started, epoch s; for a seed-format run, when it was last saved. */
  date: number;
  duration_seconds: number | null;
  items_processed: number;
  items_failed: number;
  rate_per_second: number;
  error_rate_percent: number;
  status: string;
  /** Rate change from the previous run, percent; null for the first. */
  rate_change_percent: number | null;
}

/** The trend of the rate: least-squares slope over the runs, as a percent of the mean rate. */
export interface RateTrend {
  percent_per_run: number | null;
  direction: 'improving' | 'declining' | 'steady' | 'unknown';
}

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
  const percent = round2((num / den / meanY) * 100);
  const direction = Math.abs(percent) < 2 ? 'steady' : percent > 0 ? 'improving' : 'declining';
  return { percent_per_run: percent, direction };
}

/** Aggregates across runs; exit 1 if some file could not be read (the rest is aggregated). */
export async function runAggregate(context: Context): Promise<number> {
  if (context.args.length > 0)
    throw new CliError('E_USAGE', `aggregate takes no arguments (got "${context.args[0]}")`);
  const only = context.options.process as string | undefined;
  const since =
    typeof context.options.since === 'string'
      ? parseSince(context.options.since, context.now())
      : null;
  const scan = scanRoot(context.root);
  const rootMissing = scan.problems.find(
    (p) => p.path === context.root && p.code === 'E_NOT_FOUND',
  );
  if (rootMissing !== undefined) throw new CliError('E_NOT_FOUND', rootMissing.message);
  const { loaded, problems } = await loadSummaries(
    context,
    scan.summaries.filter((s) => only === undefined || s.processName === only).map((s) => s.path),
  );
  const groups = new Map<string, AggregateRun[]>();
  for (const { row } of loaded) {
    const date = isRelativeTime(row.start_time) ? row.last_update_time : row.start_time;
    if (since !== null && date < since) continue;
    const runs = groups.get(row.process_name) ?? [];
    runs.push({
      run_name: row.run_name,
      date,
      duration_seconds: row.duration_seconds,
      items_processed: row.items_processed,
      items_failed: row.items_failed,
      rate_per_second: row.processing_rate_per_second,
      error_rate_percent: row.error_rate_percent,
      status: row.status,
      rate_change_percent: null,
    });
    groups.set(row.process_name, runs);
  }
  const processes = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([processName, runs]) => {
      runs.sort((a, b) => a.date - b.date || (a.run_name < b.run_name ? -1 : 1));
      runs.forEach((run, i) => {
        const previous = runs[i - 1];
        if (previous !== undefined && previous.rate_per_second > 0) {
          run.rate_change_percent = round2(
            (run.rate_per_second / previous.rate_per_second - 1) * 100,
          );
        }
      });
      const items = runs.reduce((sum, r) => sum + r.items_processed, 0);
      const failed = runs.reduce((sum, r) => sum + r.items_failed, 0);
      const duration = runs.reduce((sum, r) => sum + (r.duration_seconds ?? 0), 0);
      const successful = loaded
        .filter(
          (l) =>
            l.row.process_name === processName && runs.some((r) => r.run_name === l.row.run_name),
        )
        .reduce((sum, l) => sum + l.row.items_successful, 0);
      return {
        process_name: processName,
        runs,
        totals: {
          runs: runs.length,
          items_processed: items,
          items_failed: failed,
          duration_seconds: duration,
          rate_per_second: duration > 0 ? round2(items / duration) : 0,
          error_rate_percent: errorRatePercent(successful, failed),
        },
        trend: rateTrend(runs.map((r) => r.rate_per_second)),
      };
    });
  const allProblems = [...scan.problems, ...problems];
  if (context.json) {
    context.write(
      `${safeJson({ processes, errors: allProblems.map((p) => ({ path: p.path, code: p.code, message: p.message })) })}\n`,
    );
  } else {
    if (processes.length === 0) context.write('no runs match\n');
    for (const p of processes) {
      context.write(`${context.colors.bold(`process ${escapeControl(p.process_name)}`)}\n`);
      const rows = p.runs.map((r) => [
        formatDate(r.date).slice(0, 16),
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
