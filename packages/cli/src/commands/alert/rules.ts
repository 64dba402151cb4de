/**
 * What `alert` and `serve --rules` share: reading the rules file (refused before anything
 * listens or sends) and starting an alerter over the command's store with the CLI's logger.
 * Imported only when a rules file is given, so `serve` alone never loads the alerts package.
 */
import {
  type Alerter,
  createAlerter,
  loadRulesFile,
  type RulesConfig,
} from '@process-summary/alerts';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { cliLogger } from '../../logger.js';
import { escapeControl } from '../../render/format.js';

/**
 * The rules of `--rules FILE`, validated. A file that does not validate keeps the library's
 * coded error (`E_INVALID_ARGUMENT`, exit 2, its message naming the JSON path); a missing or
 * unreadable one its `E_NOT_FOUND` / `E_UNREADABLE` (exit 3).
 */
export async function loadRules(path: string | undefined, command: string): Promise<RulesConfig> {
  if (path === undefined) {
    throw new CliError(
      'E_USAGE',
      `${command} needs --rules FILE (the rules and notifiers, JSON or YAML; see summary-inspect ${command} --help)`,
    );
  }
  if (path.trim() === '') throw new CliError('E_USAGE', '--rules is empty');
  return loadRulesFile(path);
}

/**
 * An alerter over the command's store, reporting on stderr. Validates before it touches
 * anything (a missing webhook secret is refused here).
 */
export function alerterFor(
  context: Context,
  rules: RulesConfig,
  stateKey: string | undefined,
): Alerter {
  if (stateKey !== undefined && stateKey.trim() === '') {
    throw new CliError('E_USAGE', '--state-key is empty');
  }
  return createAlerter({
    store: context.store,
    rules,
    logger: cliLogger(context),
    now: () => context.now(),
    ...(stateKey === undefined ? {} : { stateKey }),
  });
}

/** One line saying what the alerter does: "3 rules, notifying webhook, slack; evaluated every 15s". */
export function describeRules(rules: RulesConfig): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const notifiers = rules.notifiers.map((n) => escapeControl(n.name));
  return `${count(rules.rules.length, 'rule')}, ${
    notifiers.length === 0 ? 'no notifiers' : `notifying ${notifiers.join(', ')}`
  }; evaluated every ${rules.settings.evaluate_every_seconds}s`;
}
