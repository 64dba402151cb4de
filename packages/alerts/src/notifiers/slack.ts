/**
 * A Slack-compatible incoming webhook: `{ text }` in mrkdwn. Every value from a summary or a
 * rule is escaped (`&`, `<`, `>`), so a run named `<!channel>` or `<http://evil|click>` is
 * shown as written: no mention, no link, no markup that Slack turns into an action.
 */
import type { Notification, Notifier } from '../notification.js';
import { postJson } from './http.js';

/** Options of {@link slackNotifier}. */
export interface SlackNotifierOptions {
  name: string;
  url: string;
  timeoutSeconds?: number;
  maxAttempts?: number;
}

/** `text` escaped for Slack mrkdwn: the three characters Slack's control sequences use. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Untrusted text inside backticks: shown literally, with no backtick to end the span early. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text).replaceAll('`', 'ˋ')}\``;
}

/** The message posted for `n`. */
export function slackBody(n: Notification): { text: string } {
  const target = `${n.run}/${n.process}${n.worker === null ? '' : `@${n.worker}`}`;
  const head =
    n.status === 'firing'
      ? `:rotating_light: *FIRING* [${escapeMrkdwn(n.severity)}] ${code(n.rule)} on ${code(target)}`
      : `:white_check_mark: *RESOLVED* ${code(n.rule)} on ${code(target)}`;
  const lines = [head];
  for (const [key, value] of Object.entries(n.annotations)) {
    lines.push(`*${escapeMrkdwn(key)}*: ${escapeMrkdwn(value)}`);
  }
  if (n.value !== null) lines.push(`value: ${escapeMrkdwn(String(n.value))}`);
  lines.push(
    n.status === 'firing'
      ? `since ${n.starts_at}`
      : `from ${n.starts_at} to ${n.ends_at ?? '(unknown)'}`,
  );
  if (n.dashboard_url) lines.push(`<${escapeMrkdwn(n.dashboard_url)}|dashboard>`);
  return { text: lines.join('\n') };
}

/** A Slack incoming-webhook notifier. */
export function slackNotifier(options: SlackNotifierOptions): Notifier {
  return {
    name: options.name,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    async send(n, signal) {
      await postJson(options.url, JSON.stringify(slackBody(n)), {}, signal);
    },
  };
}
