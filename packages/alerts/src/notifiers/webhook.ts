/**
 * The generic webhook: `POST url` with `{ version, status, alerts: [notification] }` as JSON;
 * with a secret, `X-Process-Summary-Signature: sha256=<hex HMAC-SHA256 of the body bytes>`.
 */
import { createHmac } from 'node:crypto';
import type { Notification, Notifier } from '../notification.js';
import { postJson } from './http.js';

/** The webhook body's format version. */
export const WEBHOOK_BODY_VERSION = '1';
/** The signature header (lower case, as Node's http gives it). */
export const SIGNATURE_HEADER = 'x-process-summary-signature';

/** What a webhook receives. */
export interface WebhookBody {
  version: string;
  status: Notification['status'];
  alerts: Notification[];
}

/** Options of {@link webhookNotifier}. */
export interface WebhookNotifierOptions {
  name: string;
  url: string;
  /** The HMAC key; `null`: unsigned. */
  secret: string | null;
  timeoutSeconds?: number;
  maxAttempts?: number;
}

/** The exact body sent for `n`. */
export function webhookBody(n: Notification): string {
  const body: WebhookBody = { version: WEBHOOK_BODY_VERSION, status: n.status, alerts: [n] };
  return JSON.stringify(body);
}

/** `sha256=<hex>` of `body` under `secret`: what a receiver recomputes to verify. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A generic webhook notifier. */
export function webhookNotifier(options: WebhookNotifierOptions): Notifier {
  const { url, secret } = options;
  return {
    name: options.name,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    async send(n, signal) {
      const body = webhookBody(n);
      const headers: Record<string, string> =
        secret === null ? {} : { [SIGNATURE_HEADER]: signBody(body, secret) };
      await postJson(url, body, headers, signal);
    },
  };
}
