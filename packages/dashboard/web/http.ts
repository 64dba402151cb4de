/** Fetching the JSON API (relative URLs: the document's `<base>` says under which path). */
import type { ApiError } from '../src/api.js';

/** A failed API call: the HTTP status and the server's error code, when it gave one. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

function isApiError(value: unknown): value is ApiError {
  const error = (value as { error?: unknown } | null)?.error as ApiError['error'] | undefined;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/**
 * GETs `url` as JSON. A 404 whose body is still a usable answer (a run page with only
 * `unusable` summaries) is returned when `allow404`; any other failure throws a
 * {@link FetchError}.
 */
export async function getJson<T>(url: string, signal?: AbortSignal, allow404 = false): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: signal ?? null,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new FetchError('the dashboard server cannot be reached', 0, null);
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (response.ok || (allow404 && response.status === 404 && body !== null && !isApiError(body))) {
    return body as T;
  }
  if (isApiError(body)) {
    throw new FetchError(body.error.message, response.status, body.error.code);
  }
  throw new FetchError(
    `the server answered ${response.status} ${response.statusText}`,
    response.status,
    null,
  );
}
