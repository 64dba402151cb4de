/** The one way notifiers POST: no redirects followed, 2xx is success, 3xx and 4xx are not retried. */
import { PermanentDeliveryError } from '../notification.js';

const USER_AGENT = 'process-summary-alerts/1';

/**
 * POSTs `body` (already serialized: a signature covers these exact bytes) to `url`. Throws on
 * anything but a 2xx answer: a `PermanentDeliveryError` for a redirect and a 4xx other than
 * 408 and 429 (sending the same again cannot help), a plain error (retried) otherwise. At most
 * {@link MAX_BODY_BYTES} of the answer are read.
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
  // Read a bounded part of the answer (a huge or endless body costs no more), then let go of
  // the rest; only a little is logged.
  const text = (await readBounded(response, MAX_BODY_BYTES)).slice(0, 200);
  if (response.status >= 200 && response.status < 300) return;
  const message = `${urlForLog(url)} answered ${response.status}${text === '' ? '' : `: ${JSON.stringify(text)}`}`;
  if (response.status >= 300 && response.status < 400) {
    // Not followed, and asking again gets the same answer: the URL is wrong (configuration).
    const location = response.headers.get('location');
    const to = location === null ? '' : ` to ${urlForLog(new URL(location, url).href)}`;
    throw new PermanentDeliveryError(
      `${message}: a redirect${to}, not followed (configure the final URL)`,
    );
  }
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

/** How much of an answer is read, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** At most `max` bytes of the body as text; the rest is cancelled. Never throws. */
async function readBounded(response: Response, max: number): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // An answer cut short: what was read is enough for a log line.
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
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
