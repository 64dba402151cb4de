/** Notifiers built from the rules file's `notifiers`. */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '@process-summary/core';
import { ProcessSummaryError, quote } from '@process-summary/core';
import type { Notifier } from '../notification.js';
import type { NotifierConfig } from '../rules.js';
import { alertmanagerNotifier } from './alertmanager.js';
import { commandNotifier } from './command.js';
import { slackNotifier } from './slack.js';
import { webhookNotifier } from './webhook.js';

/** Options of {@link buildNotifiers}. */
export interface BuildNotifiersOptions {
  logger: Logger;
  /** Now, epoch seconds (the Alertmanager notifier's `endsAt`). */
  now: () => number;
  /** The alerter's evaluation interval: Alertmanager refreshes no more often than this. */
  evaluateEverySeconds: number;
}

/**
 * The notifiers of `configs`. Reads webhook secrets now, so a missing or empty secret is
 * refused at start (`E_NOT_FOUND`, `E_UNREADABLE`, `E_INVALID_ARGUMENT`) rather than at the
 * first alert; a secret file others can read draws a warning.
 */
export function buildNotifiers(
  configs: readonly NotifierConfig[],
  options: BuildNotifiersOptions,
): Notifier[] {
  return configs.map((config) => {
    const common = {
      name: config.name,
      timeoutSeconds: config.timeout_seconds,
      maxAttempts: config.max_attempts,
    };
    switch (config.type) {
      case 'webhook':
        return webhookNotifier({
          ...common,
          url: config.url,
          secret:
            config.secret_file === null
              ? null
              : readSecret(config.secret_file, config.name, options.logger),
        });
      case 'slack':
        return slackNotifier({ ...common, url: config.url });
      case 'alertmanager': {
        const refresh = Math.max(60, options.evaluateEverySeconds);
        return alertmanagerNotifier({
          ...common,
          url: config.url,
          refreshSeconds: refresh,
          now: options.now,
        });
      }
      default:
        return commandNotifier({ ...common, argv: config.argv });
    }
  });
}

/** The secret in `path`, without its trailing newline. */
export function readSecret(path: string, notifier: string, logger: Logger): string {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new ProcessSummaryError(
        'E_UNREADABLE',
        `alerts: notifier ${quote(notifier)}: secret_file ${quote(path)} is not a regular file`,
      );
    }
    if ((stat.mode & 0o004) !== 0) {
      logger.warn(
        { notifier, path },
        `alerts: notifier ${quote(notifier)}: the secret file ${quote(path)} is readable by every user (chmod 600 it)`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ProcessSummaryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ProcessSummaryError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_UNREADABLE',
      `alerts: notifier ${quote(notifier)}: cannot read secret_file ${quote(path)} (${code ?? String(err)})`,
      { cause: err },
    );
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    throw new ProcessSummaryError(
      'E_INVALID_ARGUMENT',
      `alerts: notifier ${quote(notifier)}: secret_file ${quote(path)} is empty`,
    );
  }
  return secret;
}
