/**
 * `summary-inspect check <run> [process] [thresholds]`: alerting for cron and CI with the
 * Nagios plugin convention — one status line on stdout, exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (also for a missing or unreadable summary and a bad command line).
 */
import type { Context } from '../../context.js';
import { loadSummaries } from '../../load.js';
import { parseThreshold, type Threshold } from '../../parse.js';
import { escapeControl, formatPercent, formatRate, safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { displayRate, type SummaryRow } from '../../view.js';

/** Nagios states, by exit code. */
export const NAGIOS = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
/** A Nagios state as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export type NagiosLevel = 0 | 1 | 2 | 3;

/** The verdict on one summary, as `check --json` reports it (see README). */
export interface CheckVerdict {
  run_name: string;
  process_name: string;
  status: string;
  level: (typeof NAGIOS)[number];
  /** Why not OK, one sentence each. */
  reasons: string[];
}

interface Thresholds {
  maxErrorRate?: Threshold | undefined;
  maxFailed?: Threshold | undefined;
  minRate?: Threshold | undefined;
  requireCompleted: boolean;
}

/** The first line printed for a check that could not be made. */
export function unknownLine(message: string): string {
  return `PIPELINE UNKNOWN - ${escapeControl(message)}\n`;
}

function exceeds(value: number, threshold: Threshold | undefined): NagiosLevel {
  if (threshold === undefined) return 0;
  if (value > threshold.critical) return 2;
  if (threshold.warning !== null && value > threshold.warning) return 1;
  return 0;
}

function below(value: number, threshold: Threshold | undefined): NagiosLevel {
  if (threshold === undefined) return 0;
  if (value < threshold.critical) return 2;
  if (threshold.warning !== null && value < threshold.warning) return 1;
  return 0;
}

/** Judges one summary against the thresholds. */
export function judgeRow(
  row: SummaryRow,
  t: Thresholds,
): { level: NagiosLevel; reasons: string[] } {
  let level: NagiosLevel = 0;
  const reasons: string[] = [];
  const raise = (to: NagiosLevel, reason: string) => {
    if (to === 0) return;
    if (to > level) level = to;
    reasons.push(reason);
  };
  if (row.status === 'failed') raise(2, 'failed');
  if (row.status === 'stale') raise(2, `stale (${row.stale_reason ?? 'owner gone'})`);
  if (row.status === 'interrupted') raise(t.requireCompleted ? 2 : 1, 'interrupted');
  if (t.requireCompleted && row.status === 'running') raise(2, 'not completed (running)');
  raise(
    exceeds(row.error_rate_percent, t.maxErrorRate),
    `error rate ${formatPercent(row.error_rate_percent)} > ${describe(t.maxErrorRate, '%')}`,
  );
  raise(
    exceeds(row.items_failed, t.maxFailed),
    `${row.items_failed} failed > ${describe(t.maxFailed, '')}`,
  );
  if (row.file_status === 'running' && row.status !== 'stale') {
    const rate = displayRate(row);
    raise(below(rate, t.minRate), `rate ${formatRate(rate)} < ${describe(t.minRate, '/s')}`);
  }
  return { level, reasons };
}

function describe(threshold: Threshold | undefined, unit: string): string {
  if (threshold === undefined) return '';
  return threshold.warning === null
    ? `${threshold.critical}${unit}`
    : `${threshold.warning}${unit} (warning) / ${threshold.critical}${unit} (critical)`;
}

function perfLabel(text: string): string {
  return escapeControl(text).replace(/['=\s]/g, '_');
}

/** Runs the check; every failure to check is UNKNOWN (exit 3), never a stack trace. */
export async function runCheck(context: Context): Promise<number> {
  const o = context.options;
  const thresholds: Thresholds = {
    maxErrorRate:
      o['max-error-rate'] === undefined
        ? undefined
        : parseThreshold('max-error-rate', String(o['max-error-rate'])),
    maxFailed:
      o['max-failed'] === undefined
        ? undefined
        : parseThreshold('max-failed', String(o['max-failed'])),
    minRate:
      o['min-rate'] === undefined ? undefined : parseThreshold('min-rate', String(o['min-rate'])),
    requireCompleted: o['require-completed'] === true,
  };
  const targets = resolveTargets(context.root, context.args, { allowFile: true });
  const { loaded, problems } = await loadSummaries(
    context,
    targets.map((t) => t.path),
  );
  const verdicts: CheckVerdict[] = [];
  let worst: NagiosLevel = 0;
  const perfdata: string[] = [];
  for (const { row } of loaded) {
    const { level, reasons } = judgeRow(row, thresholds);
    if (level > worst) worst = level;
    verdicts.push({
      run_name: row.run_name,
      process_name: row.process_name,
      status: row.status,
      level: NAGIOS[level],
      reasons,
    });
    const prefix = loaded.length > 1 ? `${perfLabel(row.process_name)}_` : '';
    const w = (t: Threshold | undefined) =>
      (t?.warning ?? '') === null ? '' : String(t?.warning ?? '');
    const c = (t: Threshold | undefined) => (t === undefined ? '' : String(t.critical));
    perfdata.push(
      `${prefix}processed=${row.items_processed}c`,
      `${prefix}failed=${row.items_failed}c;${w(thresholds.maxFailed)};${c(thresholds.maxFailed)};0`,
      `${prefix}error_rate=${row.error_rate_percent}%;${w(thresholds.maxErrorRate)};${c(thresholds.maxErrorRate)};0;100`,
      `${prefix}rate=${displayRate(row)};${w(thresholds.minRate)};${c(thresholds.minRate)};0`,
    );
  }
  for (const problem of problems) {
    worst = 3;
    verdicts.push({
      run_name: '',
      process_name: '',
      status: 'unknown',
      level: 'UNKNOWN',
      reasons: [problem.message],
    });
  }
  if (context.json) {
    context.write(
      `${safeJson({ status: NAGIOS[worst], exit_code: worst, summaries: verdicts })}\n`,
    );
    return worst;
  }
  const parts = verdicts.map((v) => {
    const name = v.run_name === '' ? '' : `${escapeControl(`${v.run_name}/${v.process_name}`)} `;
    const what =
      v.reasons.length > 0
        ? v.reasons.map(escapeControl).join(', ')
        : v.status.replaceAll('_', ' ');
    return `${name}${what}`;
  });
  const counts = loaded.map(
    ({ row }) =>
      `${formatPercent(row.error_rate_percent)} errors, ${row.items_processed} processed`,
  );
  const detail = loaded.length === 1 && verdicts[0]?.reasons.length === 0 ? ` (${counts[0]})` : '';
  context.write(
    `PIPELINE ${NAGIOS[worst]} - ${parts.join('; ')}${detail} | ${perfdata.join(' ')}\n`,
  );
  return worst;
}
