/**
 * Threshold checks with the Nagios plugin semantics (OK, WARNING, CRITICAL, UNKNOWN, exit
 * codes 0 to 3), for cron, CI and monitoring: a verdict per row, the worst state overall,
 * performance data, and the plugin's one status line. A line never claims what is false:
 * a comparison is shown with the precision that makes it true (`1.004% > 1%`, never
 * `1% > 1%`), and stored names cannot break the line or the performance data.
 */
import { ProcessSummaryError, refName } from '@process-summary/core';
import { nagiosPerfLabel, nagiosText } from './escape.js';
import type { SummaryRow } from './rows.js';
import type { DisplayStatus } from './status.js';

/** Nagios states, indexed by exit code. */
export const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
/** A Nagios state. */
export type NagiosState = (typeof NAGIOS_STATES)[number];
/** A Nagios state as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export type NagiosLevel = 0 | 1 | 2 | 3;

/** A threshold pair; `warning` is optional. */
export interface Threshold {
  warning: number | null;
  critical: number;
}

/**
 * Which way a threshold points: `max` alerts above it (warning ≤ critical), `min` below it
 * (warning ≥ critical).
 */
export type ThresholdDirection = 'max' | 'min';

/** The thresholds a check applies; each optional. */
export interface CheckThresholds {
  /** Error rate, percent (failed / attempted). */
  maxErrorRate?: Threshold | undefined;
  /** Failed items. */
  maxFailed?: Threshold | undefined;
  /** Items per second (the current rate), checked only while a run is `running`. */
  minRate?: Threshold | undefined;
  /** A run that has not completed is CRITICAL (interrupted, running). */
  requireCompleted?: boolean | undefined;
}

/** The verdict on one row. */
export interface CheckVerdict {
  run_name: string;
  process_name: string;
  worker: string | null;
  status: DisplayStatus | 'unknown';
  state: NagiosState;
  exit_code: NagiosLevel;
  /** Why not OK, one sentence each (not escaped). */
  reasons: string[];
}

/** What {@link checkRows} returns. */
export interface CheckResult {
  /** The worst state of all verdicts (UNKNOWN when a summary could not be read). */
  state: NagiosState;
  exit_code: NagiosLevel;
  verdicts: CheckVerdict[];
  /** Performance data items, already safe for the plugin output. */
  perfdata: string[];
}

function invalid(message: string): ProcessSummaryError {
  return new ProcessSummaryError('E_INVALID_ARGUMENT', `inspect: ${message}`);
}

/**
 * Checks a threshold pair: finite numbers ≥ 0, and the warning before the critical one in
 * the threshold's direction (a warning above a critical maximum could never fire). Throws
 * `E_INVALID_ARGUMENT` naming the threshold.
 */
export function validateThreshold(
  name: string,
  threshold: Threshold,
  direction: ThresholdDirection,
): Threshold {
  const { warning, critical } = threshold;
  for (const value of warning === null ? [critical] : [warning, critical]) {
    if (!Number.isFinite(value) || value < 0) {
      throw invalid(`${name}: thresholds must be finite numbers >= 0 (got ${value})`);
    }
  }
  if (warning !== null && direction === 'max' && warning > critical) {
    throw invalid(
      `${name}: the warning threshold ${warning} is above the critical threshold ${critical}; give WARN,CRIT with WARN <= CRIT`,
    );
  }
  if (warning !== null && direction === 'min' && warning < critical) {
    throw invalid(
      `${name}: the warning threshold ${warning} is below the critical threshold ${critical}; for a minimum give WARN,CRIT with WARN >= CRIT`,
    );
  }
  return threshold;
}

/**
 * Parses `N` (critical only) or `W,C` (warning, then critical), a trailing `%` allowed, and
 * validates it ({@link validateThreshold}). Throws `E_INVALID_ARGUMENT` naming `name`.
 */
export function parseThreshold(
  name: string,
  text: string,
  direction: ThresholdDirection,
): Threshold {
  const parts = text.split(',');
  const number = (part: string | undefined): number => {
    const trimmed = (part ?? '').trim().replace(/%$/, '');
    const value = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isFinite(value) || value < 0) {
      throw invalid(`${name} expects N or WARN,CRIT with numbers >= 0, got "${text}"`);
    }
    return value;
  };
  if (parts.length === 1)
    return validateThreshold(name, { warning: null, critical: number(parts[0]) }, direction);
  if (parts.length === 2) {
    return validateThreshold(
      name,
      { warning: number(parts[0]), critical: number(parts[1]) },
      direction,
    );
  }
  throw invalid(`${name} expects N or WARN,CRIT, got "${text}"`);
}

/** Validates every threshold of a check (see {@link validateThreshold}). */
export function validateThresholds(thresholds: CheckThresholds): void {
  if (thresholds.maxErrorRate) validateThreshold('max-error-rate', thresholds.maxErrorRate, 'max');
  if (thresholds.maxFailed) validateThreshold('max-failed', thresholds.maxFailed, 'max');
  if (thresholds.minRate) validateThreshold('min-rate', thresholds.minRate, 'min');
}

function decimalsOf(value: number): number {
  const text = String(value);
  if (text.includes('e')) return 0;
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

/**
 * `value op limit` with `unit`, as true text: the limit as given, the value with the fewest
 * decimals (at least the limit's) at which the comparison still holds, e.g. `1.004% > 1%`.
 * Where `value op limit` is false, the value is shown as it is.
 */
export function formatComparison(value: number, op: '>' | '<', limit: number, unit = ''): string {
  const holds = (v: number) => (op === '>' ? v > limit : v < limit);
  let shown = String(value);
  if (holds(value)) {
    for (let d = Math.min(decimalsOf(limit), 15); d <= 15; d++) {
      const rounded = Number(value.toFixed(d));
      if (holds(rounded)) {
        shown = String(rounded);
        break;
      }
    }
  }
  return `${shown}${unit} ${op} ${limit}${unit}`;
}

function crossed(
  value: number,
  threshold: Threshold | undefined,
  op: '>' | '<',
): { level: NagiosLevel; limit: number } | null {
  if (threshold === undefined) return null;
  const beyond = (limit: number) => (op === '>' ? value > limit : value < limit);
  if (beyond(threshold.critical)) return { level: 2, limit: threshold.critical };
  if (threshold.warning !== null && beyond(threshold.warning)) {
    return { level: 1, limit: threshold.warning };
  }
  return null;
}

/** Judges one row against the thresholds (validated first). */
export function checkRow(row: SummaryRow, thresholds: CheckThresholds): CheckVerdict {
  validateThresholds(thresholds);
  let level: NagiosLevel = 0;
  const reasons: string[] = [];
  const raise = (to: NagiosLevel, reason: string) => {
    if (to > level) level = to;
    reasons.push(reason);
  };
  const why = row.status_reason === null ? '' : ` (${row.status_reason})`;
  if (row.status === 'failed') raise(2, 'failed');
  if (row.status === 'crashed') raise(2, `crashed${why}`);
  if (row.status === 'stale') raise(2, `stale${why}`);
  if (row.status === 'interrupted') raise(thresholds.requireCompleted ? 2 : 1, 'interrupted');
  if (thresholds.requireCompleted && row.status === 'running') raise(2, 'not completed (running)');
  const check = (
    value: number,
    threshold: Threshold | undefined,
    op: '>' | '<',
    describe: (comparison: string) => string,
    unit: string,
  ) => {
    const hit = crossed(value, threshold, op);
    if (hit === null) return;
    const which = hit.level === 2 ? 'critical' : 'warning';
    raise(hit.level, `${describe(formatComparison(value, op, hit.limit, unit))} (${which})`);
  };
  check(row.error_rate_percent, thresholds.maxErrorRate, '>', (c) => `error rate ${c}`, '%');
  check(row.items_failed, thresholds.maxFailed, '>', (c) => `failed ${c}`, '');
  if (row.status === 'running') {
    check(row.rate_per_second, thresholds.minRate, '<', (c) => `rate ${c}`, '/s');
  }
  return {
    run_name: row.run_name,
    process_name: row.process_name,
    worker: row.worker,
    status: row.status,
    state: NAGIOS_STATES[level],
    exit_code: level,
    reasons,
  };
}

function thresholdFields(t: Threshold | undefined): string {
  if (t === undefined) return ';';
  return `${t.warning ?? ''};${t.critical}`;
}

/**
 * Checks every row (merged rows count as one); each `unusable` entry (a summary that could
 * not be read) is an UNKNOWN verdict. Thresholds are validated before anything else.
 */
export function checkRows(
  rows: readonly SummaryRow[],
  thresholds: CheckThresholds,
  unusable: readonly {
    run_name?: string;
    process_name?: string;
    worker?: string | null;
    message: string;
  }[] = [],
): CheckResult {
  validateThresholds(thresholds);
  const verdicts = rows.map((row) => checkRow(row, thresholds));
  for (const problem of unusable) {
    verdicts.push({
      run_name: problem.run_name ?? '',
      process_name: problem.process_name ?? '',
      worker: problem.worker ?? null,
      status: 'unknown',
      state: 'UNKNOWN',
      exit_code: 3,
      reasons: [problem.message],
    });
  }
  // Checking nothing is not OK: nothing could be judged.
  const worst =
    verdicts.length === 0
      ? 3
      : verdicts.reduce<NagiosLevel>((w, v) => (v.exit_code > w ? v.exit_code : w), 0);
  const oneRun = new Set(rows.map((r) => r.run_name)).size <= 1;
  const perfdata: string[] = [];
  for (const row of rows) {
    const prefix =
      rows.length <= 1
        ? ''
        : `${oneRun ? row.process_name : refName({ runName: row.run_name, processName: row.process_name })}_`;
    const label = (name: string) => nagiosPerfLabel(`${prefix}${name}`);
    perfdata.push(
      `${label('processed')}=${row.items_processed}c`,
      `${label('failed')}=${row.items_failed}c;${thresholdFields(thresholds.maxFailed)};0`,
      `${label('error_rate')}=${row.error_rate_percent}%;${thresholdFields(thresholds.maxErrorRate)};0;100`,
    );
    // A crashed or stale run has no current rate: no sample rather than a stale one.
    if (row.status === 'running') {
      perfdata.push(
        `${label('rate')}=${row.rate_per_second};${thresholdFields(thresholds.minRate)};0`,
      );
    }
  }
  return { state: NAGIOS_STATES[worst], exit_code: worst, verdicts, perfdata };
}

/**
 * The plugin's output: `PIPELINE <STATE> - <what> | <perfdata>` and a newline. Names and
 * reasons are made safe for it (no `|`, no newline, no control character).
 */
export function nagiosOutput(result: CheckResult): string {
  const parts = result.verdicts.map((v) => {
    const name =
      v.run_name === ''
        ? ''
        : `${nagiosText(refName({ runName: v.run_name, processName: v.process_name, worker: v.worker }))} `;
    const what =
      v.reasons.length > 0 ? v.reasons.map(nagiosText).join(', ') : v.status.replaceAll('_', ' ');
    return `${name}${what}`;
  });
  const text = parts.length === 0 ? 'no summaries' : parts.join('; ');
  const perf = result.perfdata.length === 0 ? '' : ` | ${result.perfdata.join(' ')}`;
  return `PIPELINE ${result.state} - ${text}${perf}\n`;
}
