/** What the alerter sends, and what sends it. */

/** One alert's firing or resolved notification, the same for every notifier. */
export interface Notification {
  status: 'firing' | 'resolved';
  /** The rule's name (Alertmanager's `alertname`). */
  rule: string;
  severity: string;
  run: string;
  process: string;
  /** The worker, for a rule that matches workers; `null` for a process's (merged) row. */
  worker: string | null;
  /** The rule's labels. */
  labels: Record<string, string>;
  /** The rule's annotations, rendered (plain text, not escaped: each notifier escapes for its medium). */
  annotations: Record<string, string>;
  /** When the alert started firing, ISO 8601. */
  starts_at: string;
  /** When it resolved, ISO 8601; `null` while firing. */
  ends_at: string | null;
  /** The value the rule judged (a rate, a count, seconds, a status). */
  value: number | string | null;
  /** Stable per rule and target (run, process, worker): receivers deduplicate on it. */
  fingerprint: string;
  /** A link to the dashboard's page of the run, when the settings give one. */
  dashboard_url?: string | null;
}

/**
 * Where notifications go. `send` resolves once the receiver accepted the notification and
 * throws otherwise (the delivery retries); it must give up when `signal` aborts.
 */
export interface Notifier {
  /** Unique among the alerter's notifiers (logs and the persisted state name it). */
  name: string;
  send(n: Notification, signal: AbortSignal): Promise<void>;
  /** Per-attempt timeout, seconds (default 10). */
  timeoutSeconds?: number;
  /** Attempts before giving up (default 5). */
  maxAttempts?: number;
  /**
   * Re-send a firing alert this often (seconds) while it fires, besides the repeat interval:
   * for receivers that forget alerts not re-sent (Alertmanager). Best effort, not persisted.
   */
  refreshSeconds?: number;
}

/** An error a notifier throws when retrying cannot help (a 4xx answer). */
export class PermanentDeliveryError extends Error {
  readonly permanent = true;
}

/** Whether `err` says retrying cannot help. */
export function isPermanent(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true
  );
}
