/**
 * `summary-inspect check <run> [process] [thresholds]`: alerting for cron and CI with the
 * Nagios plugin convention — one status line on stdout, exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (also for a missing or unreadable summary and a bad command line). The judging is
 * inspect's (`checkRows`); this file only reads the targets and prints.
 */
import {
  type CheckThresholds,
  checkRows,
  nagiosOutput,
  nagiosText,
  parseThreshold,
} from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { readTargets } from '../../read.js';
import { safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';

/** The first line printed for a check that could not be made. */
export function unknownLine(message: string): string {
  return `PIPELINE UNKNOWN - ${nagiosText(message)}\n`;
}

/** Runs the check; every failure to check is UNKNOWN (exit 3), never a stack trace. */
export async function runCheck(context: Context): Promise<number> {
  const o = context.options;
  const threshold = (name: string, direction: 'max' | 'min') =>
    o[name] === undefined ? undefined : parseThreshold(`--${name}`, String(o[name]), direction);
  // Thresholds first: a warning above its critical is refused before anything is read.
  const thresholds: CheckThresholds = {
    maxErrorRate: threshold('max-error-rate', 'max'),
    maxFailed: threshold('max-failed', 'max'),
    minRate: threshold('min-rate', 'min'),
    requireCompleted: o['require-completed'] === true,
  };
  const targets = await resolveTargets(context, context.args, { allowFile: true });
  const { views, problems } = await readTargets(context, targets);
  const result = checkRows(views, thresholds, problems);
  if (context.json) {
    context.write(
      `${safeJson({ status: result.state, exit_code: result.exit_code, summaries: result.verdicts })}\n`,
    );
  } else {
    context.write(nagiosOutput(result));
  }
  return result.exit_code;
}
