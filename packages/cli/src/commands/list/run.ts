/** `summary-inspect [list]`: one row per (run, process) under the root. */
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { loadSummaries } from '../../load.js';
import type { Colors } from '../../render/color.js';
import {
  escapeControl,
  formatAgo,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  safeJson,
} from '../../render/format.js';
import { renderTable } from '../../render/table.js';
import { scanRoot } from '../../scan.js';
import type { DisplayStatus } from '../../status.js';
import { displayRate } from '../../view.js';

/** The words of a status, coloured by how much attention it needs. */
export function statusLabel(status: DisplayStatus, colors: Colors): string {
  switch (status) {
    case 'running':
      return colors.cyan('running');
    case 'stale':
      return colors.red('stale');
    case 'completed':
      return colors.green('completed');
    case 'completed_with_failures':
      return colors.yellow('completed with failures');
    case 'failed':
      return colors.red('failed');
    case 'interrupted':
      return colors.yellow('interrupted');
  }
}

/** Lists every summary; exit 1 when some file could not be read or validated. */
export async function runList(context: Context): Promise<number> {
  if (context.args.length > 0) {
    throw new CliError(
      'E_USAGE',
      `list takes no arguments (got "${context.args[0]}"); use show <run>`,
    );
  }
  const scan = scanRoot(context.root);
  const rootMissing = scan.problems.find(
    (p) => p.path === context.root && p.code === 'E_NOT_FOUND',
  );
  if (rootMissing !== undefined) throw new CliError('E_NOT_FOUND', rootMissing.message);
  // The schema is checked in full: a listing that shows numbers from an invalid file would
  // mislead. (Measured: validation is a small share of the cost; see bench/list.bench.ts.)
  const { loaded, problems } = await loadSummaries(
    context,
    scan.summaries.map((s) => s.path),
  );
  const allProblems = [...scan.problems, ...problems];
  if (context.json) {
    context.write(
      `${safeJson({
        root: context.root,
        summaries: loaded.map((l) => l.row),
        errors: allProblems.map((p) => ({ path: p.path, code: p.code, message: p.message })),
      })}\n`,
    );
  } else {
    const { colors } = context;
    const now = context.now();
    const rows = loaded.map(({ row }) => [
      escapeControl(row.run_name),
      escapeControl(row.process_name),
      statusLabel(row.status, colors),
      formatCount(row.items_processed),
      formatCount(row.items_successful),
      row.items_failed > 0 ? colors.red(formatCount(row.items_failed)) : '0',
      formatPercent(row.success_rate_percent),
      formatRate(displayRate(row)),
      formatCount(row.error_count),
      formatCount(row.interruption_count),
      formatAgo(row.last_update_time, now),
      row.file_status === 'running' && row.eta_seconds !== null
        ? formatDuration(row.eta_seconds)
        : '-',
    ]);
    if (rows.length > 0) {
      context.write(
        `${renderTable(
          [
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
          ],
          rows,
        )}\n`,
      );
    } else if (allProblems.length === 0) {
      context.write(`no summaries under ${escapeControl(context.root)}\n`);
    }
    for (const problem of allProblems) context.warn(`error: ${escapeControl(problem.message)}`);
  }
  return allProblems.length > 0 ? EXIT.invalid : EXIT.ok;
}
