/**
 * `summary-inspect alert --rules FILE`: the alerter of `@process-summary/alerts` over the store
 * the command line names. Long-running until SIGINT/SIGTERM (then it waits for the deliveries
 * in flight, within the library's bound, and exits 0); with `--once` one evaluation and its
 * deliveries, for cron. What fires and how it is sent is the library's; this file turns the
 * command line into its options and the outcome into output and an exit code.
 */
import { existsSync } from 'node:fs';
import type { Notification } from '@process-summary/alerts';
import { refName } from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, safeJson } from '../../render/format.js';
import { alerterFor, describeRules, loadRules } from './rules.js';

/** Exit code after Ctrl-C stopped a `--once`, as shells report a SIGINT death. */
const INTERRUPTED_BY_USER = 130;

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function target(n: Notification): string {
  return refName({ runName: n.run, processName: n.process, worker: n.worker });
}

/** Runs the alerter (see the spec): 0, or 1 when a delivery of `--once` failed. */
export async function runAlert(context: Context): Promise<number> {
  if (context.args.length > 0) {
    throw new CliError(
      'E_USAGE',
      `alert takes no arguments (got "${escapeControl(context.args[0] ?? '')}"); name the rules with --rules and the store with --root or --store`,
    );
  }
  const options = context.options;
  const rules = await loadRules(options.rules as string | undefined, 'alert');
  const alerter = alerterFor(context, rules, options['state-key'] as string | undefined);
  // Not an error (an alerter may start before the first pipeline), but a mistyped --root would
  // otherwise watch an empty directory in silence.
  if (context.storeChoice.kind === 'file' && !existsSync(context.storeChoice.root)) {
    context.warn(
      `warning: ${escapeControl(context.storeChoice.root)} does not exist yet; its runs are judged as pipelines create them`,
    );
  }
  if (options.once === true) {
    try {
      const result = await Promise.race([
        alerter.evaluate(),
        aborted(context.signal).then(() => null),
      ]);
      if (result === null) return INTERRUPTED_BY_USER;
      const { delivered, failed } = result.deliveries;
      if (context.json) {
        context.write(`${safeJson(result)}\n`);
      } else {
        for (const n of result.notifications) {
          context.write(
            `${n.status} ${escapeControl(n.rule)} ${escapeControl(target(n))} [${escapeControl(n.severity)}]\n`,
          );
        }
        context.write(
          `${count(result.summaries, 'summary', 'summaries')}, ${result.firing} firing, ${result.pending} pending; ${delivered} delivered${failed > 0 ? `, ${failed} FAILED` : ''}\n`,
        );
      }
      return failed > 0 ? EXIT.invalid : EXIT.ok;
    } finally {
      await alerter.close();
    }
  }
  try {
    await alerter.start();
    context.write(
      `alerting: ${describeRules(rules)}, over ${escapeControl(context.storeLabel)} (Ctrl-C stops)\n`,
    );
    await aborted(context.signal);
  } finally {
    await alerter.close();
  }
  return EXIT.ok;
}
