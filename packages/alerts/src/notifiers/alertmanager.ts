/**
 * Alertmanager API v2: `POST {url}/api/v2/alerts` with one alert (labels, annotations,
 * startsAt, endsAt, generatorURL), so grouping, silences, inhibition and routing are
 * Alertmanager's. Like Prometheus, the alerter re-sends a firing alert every `refreshSeconds`
 * with `endsAt` a few refreshes ahead: if the alerter dies, Alertmanager resolves the alert by
 * itself after `endsAt` instead of keeping it forever.
 */
import type { Notification, Notifier } from '../notification.js';
import { postJson } from './http.js';

/** Options of {@link alertmanagerNotifier}. */
export interface AlertmanagerNotifierOptions {
  name: string;
  /** Alertmanager's base URL (`http://127.0.0.1:9093`, or with its route prefix). */
  url: string;
  /** How often a firing alert is re-sent, seconds (default 60). */
  refreshSeconds?: number;
  /** A firing alert's `endsAt` is this far after the send, seconds (default 4 × refresh). */
  endsAfterSeconds?: number;
  /** Now, epoch seconds (tests). */
  now?: () => number;
  timeoutSeconds?: number;
  maxAttempts?: number;
}

/** One alert as Alertmanager's API v2 (`postableAlert`) takes it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** The alert posted for `n`, `now` in epoch seconds. */
export function alertmanagerAlert(
  n: Notification,
  now: number,
  endsAfterSeconds: number,
): AlertmanagerAlert {
  const labels: Record<string, string> = {
    ...n.labels,
    alertname: n.rule,
    severity: n.severity,
    run: n.run,
    process: n.process,
  };
  if (n.worker !== null) labels.worker = n.worker;
  const annotations: Record<string, string> = { ...n.annotations };
  if (n.value !== null && !Object.hasOwn(annotations, 'value')) annotations.value = String(n.value);
  const endsAt =
    n.status === 'resolved' && n.ends_at !== null
      ? n.ends_at
      : new Date((now + endsAfterSeconds) * 1000).toISOString();
  const alert: AlertmanagerAlert = { labels, annotations, startsAt: n.starts_at, endsAt };
  if (n.dashboard_url) alert.generatorURL = n.dashboard_url;
  return alert;
}

/** An Alertmanager notifier. */
export function alertmanagerNotifier(options: AlertmanagerNotifierOptions): Notifier {
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const refresh = options.refreshSeconds ?? 60;
  const endsAfter = options.endsAfterSeconds ?? 4 * refresh;
  const now = options.now ?? (() => Date.now() / 1000);
  return {
    name: options.name,
    refreshSeconds: refresh,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    async send(n, signal) {
      const body = JSON.stringify([alertmanagerAlert(n, now(), endsAfter)]);
      await postJson(endpoint, body, {}, signal);
    },
  };
}
