/** `summary-inspect show <run> [process] | <file>`: everything about one summary. */
import type { ErrorDetail, ProgressUpdate, SessionEntry } from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { type LoadedSummary, loadSummaries } from '../../load.js';
import {
  escapeControl,
  formatAgo,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatTime,
  safeJson,
} from '../../render/format.js';
import { renderTable } from '../../render/table.js';
import { resolveTargets } from '../../targets.js';
import { displayRate, round2, type SummaryRow } from '../../view.js';
import { statusLabel } from '../list/run.js';

/** The errors of one type, as `show --json` reports them. */
export interface ErrorTypeRow {
  type: string;
  count: number;
  share_percent: number;
  samples: string[];
  first_seen: number | null;
  last_seen: number | null;
}

/** What `show --json` prints for one summary (see README). */
export interface ShowJson extends SummaryRow {
  active_seconds: number | null;
  errors_by_type: ErrorTypeRow[];
  last_error: { message: string; time: number | null } | null;
  progress_updates_count: number;
  recent_progress_updates: ProgressUpdate[];
  custom_metrics: unknown;
  sessions: SessionEntry[];
  owner: { pid: number; host: string } | null;
}

const RECENT_UPDATES = 5;
const METRIC_WIDTH = 120;

/** The `show --json` object of a loaded summary. */
export function showJson(summary: LoadedSummary): ShowJson {
  const d = summary.file.dict;
  const details: Record<string, ErrorDetail> = d.error_details ?? {};
  const errorCount = d.error_count;
  const errorsByType = Object.entries(d.error_types)
    .map(([type, count]) => ({
      type,
      count,
      share_percent: errorCount > 0 ? round2((count / errorCount) * 100) : 0,
      samples: details[type]?.samples ?? [],
      first_seen: details[type]?.first_seen ?? null,
      last_seen: details[type]?.last_seen ?? null,
    }))
    .sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1));
  return {
    ...summary.row,
    active_seconds: d.active_seconds ?? d.duration_seconds ?? null,
    errors_by_type: errorsByType,
    last_error:
      d.last_error_message === null
        ? null
        : { message: d.last_error_message, time: d.last_error_time },
    progress_updates_count: d.progress_updates_count,
    recent_progress_updates: d.progress_updates.slice(-RECENT_UPDATES),
    custom_metrics: d.custom_metrics,
    sessions: d.sessions ?? [],
    owner: summary.judgement.owner,
  };
}

/** Shows each summary named; exit 1 if one is invalid. */
export async function runShow(context: Context): Promise<number> {
  const targets = resolveTargets(context.root, context.args, { allowFile: true });
  const { loaded, problems } = await loadSummaries(
    context,
    targets.map((t) => t.path),
  );
  if (targets.length === 1 && problems.length === 1) {
    const problem = problems[0] as (typeof problems)[number];
    throw new CliError(
      problem.code === 'E_NOT_FOUND' || problem.code === 'E_UNREADABLE'
        ? problem.code
        : 'E_INVALID_SUMMARY',
      `${problem.message}${problem.code === 'E_INVALID_SUMMARY' ? ' (summary-inspect validate lists every problem)' : ''}`,
    );
  }
  for (const summary of loaded) {
    context.write(context.json ? `${safeJson(showJson(summary))}\n` : render(summary, context));
  }
  for (const problem of problems) context.warn(`error: ${escapeControl(problem.message)}`);
  return problems.length > 0 ? EXIT.invalid : EXIT.ok;
}

function render(summary: LoadedSummary, context: Context): string {
  const { colors } = context;
  const view = showJson(summary);
  const d = summary.file.dict;
  const base = view.start_time;
  const now = context.now();
  const time = (t: number | null | undefined) => formatTime(t, base);
  const lines: string[] = [];
  const heading = (title: string) => lines.push('', colors.bold(title));
  const field = (name: string, value: string) => lines.push(`  ${`${name}:`.padEnd(16)}${value}`);

  lines.push(
    `${colors.bold(`${escapeControl(view.run_name)} / ${escapeControl(view.process_name)}`)}  ${statusLabel(view.status, colors)}`,
  );
  field('file', escapeControl(view.path));
  if (view.seed_format) {
    field('format', 'seed (Python original): times are relative to the start, not dates');
  }
  if (view.stale_reason !== null) field('stale', escapeControl(view.stale_reason));
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
  if (view.current_rate_per_second !== null && view.file_status === 'running') {
    field('current rate', formatRate(view.current_rate_per_second));
  }
  if (view.eta_seconds !== null && view.file_status === 'running') {
    field('ETA', `${formatDuration(view.eta_seconds)} (at ${formatRate(displayRate(view))})`);
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
    lines.push(
      `  ${time(u.timestamp)}  ${escapeControl(String(u.message))}  (${formatCount(u.items_processed)} processed)`,
    );
  }

  const metrics = Object.entries((d.custom_metrics ?? {}) as Record<string, unknown>);
  heading('Custom metrics');
  if (metrics.length === 0) lines.push('  none');
  for (const [key, value] of metrics) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const cut = text.length > METRIC_WIDTH ? `${text.slice(0, METRIC_WIDTH - 1)}…` : text;
    lines.push(`  ${escapeControl(key)}: ${escapeControl(cut)}`);
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
