/** The one way notifiers POST: no redirects followed, 2xx is success, 4xx is not retried. */
import { PermanentDeliveryError } from '../notification.js';

const USER_AGENT = 'process-summary-alerts/1';

/**
 * POSTs `body` (already serialized: a signature covers these exact bytes) to `url`. Throws on
 * anything but a 2xx answer: a `PermanentDeliveryError` for a 4xx other than 408 and 429
 * (sending the same again cannot help), a plain error (retried) otherwise.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
    // A redirect would carry a signed body somewhere not configured.
    redirect: 'manual',
    signal,
  });
  // Read (and bound) the answer so the connection can be reused; only a little is logged.
  const text = (await response.text().catch(() => '')).slice(0, 200);
  if (response.status >= 200 && response.status < 300) return;
  const message = `${urlForLog(url)} answered ${response.status}${text === '' ? '' : `: ${JSON.stringify(text)}`}`;
  if (
    response.status >= 400 &&
    response.status < 500 &&
    response.status !== 408 &&
    response.status !== 429
  ) {
    throw new PermanentDeliveryError(message);
  }
  throw new Error(message);
}

/** A URL for logs: without credentials, query or fragment (Slack's URL path is a secret too: only the host). */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(bad url)';
  }
}
