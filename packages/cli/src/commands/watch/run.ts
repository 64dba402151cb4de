/**
 * `summary-inspect watch <run> [process]`: a live view, redrawn when the file changes (a
 * watch on its directory, since a save renames a new file over it) and at least every
 * `--interval` seconds. Without a terminal it prints one plain line per change. It ends when
 * the status leaves `running`: exit 0 for completed, 1 for failed or interrupted; Ctrl-C
 * ends it with 130.
 */
import { dirname } from 'node:path';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { type LoadedSummary, loadSummaries } from '../../load.js';
import { parseDuration } from '../../parse.js';
import {
  escapeControl,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatTime,
  safeJson,
} from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { displayRate } from '../../view.js';
import { Waker } from '../../waker.js';
import { statusLabel } from '../list/run.js';

const BAR_WIDTH = 30;
/** Exit code after Ctrl-C, as shells report a SIGINT death. */
const INTERRUPTED_BY_USER = 130;

function plainLine(summary: LoadedSummary): string {
  const row = summary.row;
  const d = summary.file.dict;
  const total = row.items_total;
  const parts = [
    formatTime(row.last_update_time, row.start_time),
    `${escapeControl(row.run_name)}/${escapeControl(row.process_name)}`,
    row.status,
    total === null
      ? `${formatCount(row.items_processed)} processed`
      : `${formatCount(row.items_processed)}/${formatCount(total)} (${formatPercent(total > 0 ? (row.items_processed / total) * 100 : 100)})`,
    `ok ${formatCount(row.items_successful)}`,
    `failed ${formatCount(row.items_failed)}`,
    `errors ${formatCount(row.error_count)}`,
    `rate ${formatRate(displayRate(row))}`,
  ];
  if (row.file_status === 'running' && row.eta_seconds !== null)
    parts.push(`ETA ${formatDuration(row.eta_seconds)}`);
  const latest = d.progress_updates[d.progress_updates.length - 1];
  if (latest !== undefined) parts.push(`| ${escapeControl(String(latest.message))}`);
  return parts.join(' ');
}

function screen(summary: LoadedSummary, context: Context): string[] {
  const { colors } = context;
  const row = summary.row;
  const d = summary.file.dict;
  const lines = [
    `${colors.bold(`${escapeControl(row.run_name)} / ${escapeControl(row.process_name)}`)}  ${statusLabel(row.status, colors)}`,
  ];
  const rate = displayRate(row);
  if (row.items_total !== null && row.items_total > 0) {
    const fraction = Math.min(1, row.items_processed / row.items_total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const eta =
      row.file_status === 'running' && row.eta_seconds !== null
        ? `  ETA ${formatDuration(row.eta_seconds)}`
        : '';
    lines.push(
      `[${colors.green('█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)}] ${formatPercent(fraction * 100)}  ${formatCount(row.items_processed)}/${formatCount(row.items_total)}  ${formatRate(rate)}${eta}`,
    );
  } else {
    lines.push(`${formatCount(row.items_processed)} processed  ${formatRate(rate)}`);
  }
  lines.push(
    `ok ${formatCount(row.items_successful)}  failed ${row.items_failed > 0 ? colors.red(formatCount(row.items_failed)) : '0'}  retried ${formatCount(row.items_retried)}  interruptions ${formatCount(row.interruption_count)}`,
  );
  const latest = d.progress_updates[d.progress_updates.length - 1];
  lines.push(`latest: ${latest === undefined ? '-' : escapeControl(String(latest.message))}`);
  const errors = Object.entries(d.error_types)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([type, count]) => `${escapeControl(type)} ${formatCount(count)}`);
  lines.push(
    `errors ${formatCount(row.error_count)}${errors.length > 0 ? `: ${errors.join(', ')}` : ''}`,
  );
  if (row.stale_reason !== null)
    lines.push(colors.red(`stale: ${escapeControl(row.stale_reason)}`));
  return lines;
}

/** Watches one summary until its process ends. */
export async function runWatch(context: Context): Promise<number> {
  const [target] = resolveTargets(context.root, context.args, { single: true, allowMissing: true });
  if (target === undefined) throw new CliError('E_USAGE', 'watch expects a run and a process');
  const intervalOption = context.options.interval;
  const intervalMs =
    typeof intervalOption === 'string'
      ? Math.max(50, parseDuration('interval', intervalOption) * 1000)
      : 1000;
  const waker = new Waker(dirname(target.path), context.signal);
  let lastKey = '';
  let drawnLines = 0;
  let waitingSaid = false;
  let problemSaid = '';
  try {
    for (;;) {
      const { loaded, problems } = await loadSummaries(context, [target.path]);
      const summary = loaded[0];
      const problem = problems[0];
      if (summary === undefined) {
        if (problem?.code === 'E_NOT_FOUND') {
          if (!waitingSaid) context.warn(`waiting for ${escapeControl(target.path)}`);
          waitingSaid = true;
        } else if (problem !== undefined && problem.message !== problemSaid) {
          // A file being replaced by hand, or not a summary: say so once, keep watching.
          context.warn(`error: ${escapeControl(problem.message)}`);
          problemSaid = problem.message;
        }
      } else {
        const key = plainLine(summary);
        if (key !== lastKey) {
          lastKey = key;
          if (context.json) {
            context.write(`${safeJson(summary.row)}\n`);
          } else if (context.isTty) {
            const lines = screen(summary, context);
            // Move up over the previous drawing and clear it, then draw: no scrolling.
            const up = drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : '';
            context.write(`${up}${lines.join('\n')}\n`);
            drawnLines = lines.length;
          } else {
            context.write(`${key}\n`);
          }
        }
        const status = summary.row.file_status;
        if (status === 'completed') return EXIT.ok;
        if (status === 'failed' || status === 'interrupted') return EXIT.invalid;
      }
      if (context.signal.aborted) return INTERRUPTED_BY_USER;
      await waker.wait(intervalMs);
      if (context.signal.aborted) return INTERRUPTED_BY_USER;
    }
  } finally {
    waker.close();
  }
}
