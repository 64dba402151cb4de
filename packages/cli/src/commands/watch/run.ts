/**
 * `summary-inspect watch <run> [process]`: a live view, redrawn when the file changes (a
 * watch on its directory, since a save renames a new file over it) and at least every
 * `--interval` seconds. Without a terminal it prints one plain line per change. It ends when
 * the status leaves `running`: exit 0 for completed, 1 for failed or interrupted; Ctrl-C
 * ends it with 130.
 */
import { refName, type SummaryRef, sameRef } from '@process-summary/core';
import { type DetailView, statusWords } from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { parseDuration } from '../../parse.js';
import { readTargets } from '../../read.js';
import {
  escapeControl,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatRowRate,
  formatTime,
  safeJson,
} from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { ChangeWaker } from '../../waker.js';
import { statusLabel } from '../list/run.js';

const BAR_WIDTH = 30;
/** Exit code after Ctrl-C, as shells report a SIGINT death. */
const INTERRUPTED_BY_USER = 130;

function plainLine(row: DetailView): string {
  const total = row.items_total;
  const parts = [
    formatTime(row.last_update_time, row.start_time),
    escapeControl(
      refName({ runName: row.run_name, processName: row.process_name, worker: row.worker }),
    ),
    // The same words as list (inspect's).
    statusWords(row.status),
    total === null
      ? `${formatCount(row.items_processed)} processed`
      : `${formatCount(row.items_processed)}/${formatCount(total)} (${formatPercent(total > 0 ? (row.items_processed / total) * 100 : 100)})`,
    `ok ${formatCount(row.items_successful)}`,
    `failed ${formatCount(row.items_failed)}`,
    `errors ${formatCount(row.error_count)}`,
    `rate ${formatRowRate(row)}`,
  ];
  if (row.eta_seconds !== null) parts.push(`ETA ${formatDuration(row.eta_seconds)}`);
  const latest = row.recent_progress_updates[row.recent_progress_updates.length - 1];
  if (latest !== undefined) parts.push(`| ${escapeControl(String(latest.message))}`);
  return parts.join(' ');
}

function screen(row: DetailView, context: Context): string[] {
  const { colors } = context;
  const lines = [
    `${colors.bold(escapeControl(refName({ runName: row.run_name, processName: row.process_name, worker: row.worker }).replace('/', ' / ')))}  ${statusLabel(row.status, colors)}`,
  ];
  const rate = row.rate_per_second;
  if (row.items_total !== null && row.items_total > 0) {
    const fraction = Math.min(1, row.items_processed / row.items_total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const eta = row.eta_seconds === null ? '' : `  ETA ${formatDuration(row.eta_seconds)}`;
    lines.push(
      `[${colors.green('█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)}] ${formatPercent(fraction * 100)}  ${formatCount(row.items_processed)}/${formatCount(row.items_total)}  ${formatRate(rate)}${eta}`,
    );
  } else {
    lines.push(`${formatCount(row.items_processed)} processed  ${formatRate(rate)}`);
  }
  lines.push(
    `ok ${formatCount(row.items_successful)}  failed ${row.items_failed > 0 ? colors.red(formatCount(row.items_failed)) : '0'}  retried ${formatCount(row.items_retried)}  interruptions ${formatCount(row.interruption_count)}`,
  );
  const latest = row.recent_progress_updates[row.recent_progress_updates.length - 1];
  lines.push(`latest: ${latest === undefined ? '-' : escapeControl(String(latest.message))}`);
  const errors = row.errors_by_type
    .slice(0, 5)
    .map((e) => `${escapeControl(e.type)} ${formatCount(e.count)}`);
  lines.push(
    `errors ${formatCount(row.error_count)}${errors.length > 0 ? `: ${errors.join(', ')}` : ''}`,
  );
  if (row.status_reason !== null) {
    const label = row.status === 'running' ? 'silent' : statusWords(row.status);
    lines.push(colors.red(`${label}: ${escapeControl(row.status_reason)}`));
  }
  for (const w of row.workers) {
    lines.push(
      `  @${escapeControl(w.worker ?? '-')}  ${statusLabel(w.status, colors)}  ${formatCount(w.items_processed)} processed  ${formatRowRate(w)}`,
    );
  }
  return lines;
}

/** Watches one summary (a process, its workers merged, or one worker) until its process ends. */
export async function runWatch(context: Context): Promise<number> {
  const [target] = await resolveTargets(context, context.args, {
    single: true,
    allowMissing: true,
  });
  if (target?.kind !== 'ref') throw new CliError('E_USAGE', 'watch expects a run and a process');
  const ref: SummaryRef = target.ref;
  const intervalOption = context.options.interval;
  const intervalMs =
    typeof intervalOption === 'string'
      ? Math.max(50, parseDuration('interval', intervalOption) * 1000)
      : 1000;
  // Any change of the process (a worker included, when the process is watched as a whole).
  const matches = (changed: SummaryRef) =>
    ref.worker == null
      ? changed.runName === ref.runName && changed.processName === ref.processName
      : sameRef(changed, ref);
  const waker = new ChangeWaker(context.store, matches, context.signal, intervalMs);
  let lastKey = '';
  let drawnLines = 0;
  let waitingSaid = false;
  let problemSaid = '';
  try {
    for (;;) {
      const { views, problems } = await readTargets(context, [target]);
      const view = views[0];
      const problem = problems[0];
      if (view === undefined) {
        if (problem?.code === 'E_NOT_FOUND' && problem.status === 'missing') {
          if (!waitingSaid) context.warn(`waiting for ${escapeControl(refName(ref))}`);
          waitingSaid = true;
        } else if (problem !== undefined && problem.message !== problemSaid) {
          // A summary being replaced by hand, or not a summary: say so once, keep watching.
          context.warn(`error: ${escapeControl(problem.message)}`);
          problemSaid = problem.message;
        }
      } else {
        const key = plainLine(view);
        if (key !== lastKey) {
          lastKey = key;
          if (context.json) {
            context.write(`${safeJson(view)}\n`);
          } else if (context.isTty) {
            const lines = screen(view, context);
            // Move up over the previous drawing and clear it, then draw: no scrolling.
            const up = drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : '';
            context.write(`${up}${lines.join('\n')}\n`);
            drawnLines = lines.length;
          } else {
            context.write(`${key}\n`);
          }
        }
        const status = view.file_status;
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
