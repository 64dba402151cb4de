/** `summary-inspect show <run> [process[@worker]] | <file>`: everything about one summary. */
import type { DetailView } from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { warnOddFiles } from '../../odd-files.js';
import { readTargets } from '../../read.js';
import {
  escapeControl,
  formatAgo,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatRowRate,
  formatTime,
  safeJson,
} from '../../render/format.js';
import { renderTable } from '../../render/table.js';
import { resolveTargets } from '../../targets.js';
import { statusLabel } from '../list/run.js';

const METRIC_WIDTH = 120;

/** Shows each summary named; exit 1 if one is invalid. */
export async function runShow(context: Context): Promise<number> {
  const targets = await resolveTargets(context, context.args, { allowFile: true });
  const { views, problems } = await readTargets(context, targets);
  for (const target of targets) if (target.kind === 'ref') await warnOddFiles(context, target.ref);
  if (targets.length === 1 && views.length === 0 && problems.length > 0) {
    const problem = problems[0] as (typeof problems)[number];
    const repair =
      problem.status === 'needs_repair' && targets[0]?.kind === 'ref'
        ? ` (summary-inspect repair ${escapeControl(targets[0].ref.runName)} ${escapeControl(targets[0].ref.processName)}${targets[0].ref.worker == null ? '' : `@${escapeControl(targets[0].ref.worker)}`})`
        : '';
    throw new CliError(
      problem.code === 'E_NOT_FOUND' ||
        problem.code === 'E_UNREADABLE' ||
        problem.code === 'E_TOO_LARGE'
        ? problem.code === 'E_TOO_LARGE'
          ? 'E_UNREADABLE'
          : problem.code
        : 'E_INVALID_SUMMARY',
      `${problem.message}${repair}${problem.code === 'E_INVALID_SUMMARY' && problem.status !== 'needs_repair' ? ' (summary-inspect validate lists every problem)' : ''}`,
    );
  }
  for (const view of views) {
    context.write(context.json ? `${safeJson(view)}\n` : render(view, context));
  }
  for (const problem of problems) context.warn(`error: ${escapeControl(problem.message)}`);
  return problems.length > 0 ? EXIT.invalid : EXIT.ok;
}

function render(view: DetailView, context: Context): string {
  const { colors } = context;
  const base = view.start_time;
  const now = context.now();
  const time = (t: number | null | undefined) => formatTime(t, base);
  const lines: string[] = [];
  const heading = (title: string) => lines.push('', colors.bold(title));
  const field = (name: string, value: string) => lines.push(`  ${`${name}:`.padEnd(16)}${value}`);

  const name =
    view.worker === null
      ? escapeControl(view.process_name)
      : `${escapeControl(view.process_name)}@${escapeControl(view.worker)}`;
  lines.push(
    `${colors.bold(`${escapeControl(view.run_name)} / ${name}`)}  ${statusLabel(view.status, colors)}`,
  );
  field(
    view.worker_count > 0 ? 'workers' : 'location',
    view.worker_count > 0 ? String(view.worker_count) : escapeControl(view.location),
  );
  if (view.seed_format) {
    field('format', 'seed (Python original): times are relative to the start, not dates');
  }
  // Why crashed or stale; for a running one, how long its live owner has been silent.
  if (view.status_reason !== null) {
    field(view.status === 'running' ? 'silent' : view.status, escapeControl(view.status_reason));
  }
  if (view.owner !== null)
    field('owner', `pid ${view.owner.pid} on ${escapeControl(view.owner.host)}`);
  field(
    'last update',
    `${formatTime(view.last_update_time, base)} (${formatAgo(view.last_update_time, now)})`,
  );

  heading('Timing');
  field(
    'started',
    view.time_base === 'relative' ? `${time(base)} (perf_counter ${base.toFixed(3)})` : time(base),
  );
  field('ended', view.end_time === null ? '-' : time(view.end_time));
  field('duration', formatDuration(view.duration_seconds));
  field('active', formatDuration(view.active_seconds));
  if (view.last_checkpoint_time !== null) field('checkpoint', time(view.last_checkpoint_time));

  heading('Counters');
  const total = view.items_total === null ? '' : ` of ${formatCount(view.items_total)}`;
  field('processed', `${formatCount(view.items_processed)}${total}`);
  field('successful', formatCount(view.items_successful));
  field('failed', view.items_failed > 0 ? colors.red(formatCount(view.items_failed)) : '0');
  field('retried', formatCount(view.items_retried));
  field('bytes', `${formatBytes(view.bytes_processed)}`);
  field('success rate', formatPercent(view.success_rate_percent));
  field('rate', `${formatRate(view.processing_rate_per_second)} overall`);
  // Only a live run has a current rate and an ETA (inspect leaves them null otherwise).
  if (view.current_rate_per_second !== null) {
    field('current rate', formatRate(view.current_rate_per_second));
  }
  if (view.eta_seconds !== null) {
    field('ETA', `${formatDuration(view.eta_seconds)} (at ${formatRate(view.rate_per_second)})`);
  }
  field('interruptions', formatCount(view.interruption_count));

  heading(`Errors (${formatCount(view.error_count)})`);
  if (view.errors_by_type.length === 0) lines.push('  none');
  const typeWidth = Math.max(0, ...view.errors_by_type.map((e) => escapeControl(e.type).length));
  for (const e of view.errors_by_type) {
    const seen =
      e.first_seen === null ? '' : `  first ${time(e.first_seen)}, last ${time(e.last_seen)}`;
    lines.push(
      `  ${colors.red(escapeControl(e.type).padEnd(typeWidth))}  ${formatCount(e.count)} (${formatPercent(e.share_percent)})${seen}`,
    );
    for (const sample of e.samples) lines.push(`    - ${escapeControl(sample)}`);
  }
  if (view.last_error !== null) {
    lines.push(
      `  last: ${escapeControl(view.last_error.message)} at ${time(view.last_error.time)}`,
    );
  }

  heading(
    `Progress (${formatCount(view.progress_updates_count)} updates, latest ${view.recent_progress_updates.length})`,
  );
  if (view.recent_progress_updates.length === 0) lines.push('  none');
  for (const u of view.recent_progress_updates) {
    const who = u.worker === undefined ? '' : `@${escapeControl(u.worker)}  `;
    lines.push(
      `  ${time(u.timestamp)}  ${who}${escapeControl(String(u.message))}  (${formatCount(u.items_processed)} processed)`,
    );
  }

  const metrics = Object.entries(view.custom_metrics);
  heading('Custom metrics');
  // A merged view keeps custom metrics and sessions per worker: say where they are.
  const perWorker =
    view.workers.length > 0
      ? `  per worker: summary-inspect show ${escapeControl(view.run_name)} ${escapeControl(view.process_name)}@<worker>`
      : null;
  if (metrics.length === 0) lines.push(perWorker ?? '  none');
  for (const [key, value] of metrics) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const cut = text.length > METRIC_WIDTH ? `${text.slice(0, METRIC_WIDTH - 1)}…` : text;
    lines.push(`  ${escapeControl(key)}: ${escapeControl(cut)}`);
  }

  if (view.workers.length > 0) {
    heading(`Workers (${view.workers.length})`);
    lines.push(workerTable(view, context));
    return `${lines.join('\n')}\n\n`;
  }
  heading(`Sessions (${view.sessions.length})`);
  if (view.sessions.length === 0) {
    lines.push(view.seed_format ? '  none recorded (seed format)' : '  none');
  } else {
    const rows = view.sessions.map((s) => [
      String(s.number),
      escapeControl(`${s.host ?? '?'}:${s.pid ?? '?'}`),
      time(s.start_time),
      s.end_time === null ? '-' : time(s.end_time),
      formatDuration(s.duration_seconds),
      escapeControl(
        s.end_reason === null
          ? 'running'
          : s.signal
            ? `${s.end_reason} (${s.signal})`
            : s.end_reason,
      ),
      formatCount(s.items_processed),
    ]);
    lines.push(
      renderTable(
        [
          { header: '  #' },
          { header: 'HOST:PID' },
          { header: 'STARTED' },
          { header: 'ENDED' },
          { header: 'DURATION', align: 'right' },
          { header: 'ENDED HOW' },
          { header: 'PROCESSED', align: 'right' },
        ],
        rows.map(([n, ...rest]) => [`  ${n}`, ...rest]),
      ),
    );
  }
  return `${lines.join('\n')}\n\n`;
}

/** A merged view's breakdown: one line per worker, in the words of `list`. */
function workerTable(view: DetailView, context: Context): string {
  const now = context.now();
  return renderTable(
    [
      { header: '  WORKER' },
      { header: 'STATUS' },
      { header: 'PROCESSED', align: 'right' },
      { header: 'FAILED', align: 'right' },
      { header: 'RATE', align: 'right' },
      { header: 'ERRORS', align: 'right' },
      { header: 'UPDATED', align: 'right' },
      { header: 'ETA', align: 'right' },
    ],
    view.workers.map((w) => [
      `  ${escapeControl(w.worker ?? '-')}`,
      statusLabel(w.status, context.colors),
      formatCount(w.items_processed),
      formatCount(w.items_failed),
      formatRowRate(w),
      formatCount(w.error_count),
      formatAgo(w.last_update_time, now),
      w.eta_seconds === null ? '-' : formatDuration(w.eta_seconds),
    ]),
  );
}
