/**
 * JSON answers and error answers. Every JSON body is serialized so that it stays inert even if
 * a browser were to sniff it as HTML or script: `<`, `>`, `&`, U+2028/U+2029 (and the other
 * characters inspect's `safeJsonStringify` escapes) are written as `\u` escapes. The result is
 * still valid JSON that parses to the same value.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '../api.js';

// `safeJsonStringify` (inspect) escapes DEL, C1, U+2028/9 and the bidi controls for terminals;
// a body a browser receives needs `<`, `>` and `&` escaped as well, hence a set of its own.
const UNSAFE_IN_JSON = /[<>&\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `JSON.stringify(value)` with HTML-significant and invisible characters `\u`-escaped. */
export function inertJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Ends `response` with `body` (nothing is written for HEAD, the length is still given). */
export function sendBody(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', String(bytes.length));
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  if (request.method === 'HEAD') response.end();
  else response.end(bytes);
}

/** A JSON answer; API answers are never cached (they change with every save). */
export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendBody(request, response, status, 'application/json; charset=utf-8', inertJson(value), {
    'Cache-Control': 'no-store',
    ...headers,
  });
}

/** An {@link ApiError} answer. */
export function sendApiError(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body: ApiError = { error: { code, message } };
  sendJson(request, response, status, body, headers);
}

/** A plain-text answer (errors of pages and of paths that are not the API). */
export function sendText(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  sendBody(request, response, status, 'text/plain; charset=utf-8', `${text}\n`, {
    'Cache-Control': 'no-store',
    ...headers,
  });
}

/**
 * A refusal a route throws (bad name, bad cursor, nothing there): the router answers it with
 * its status and code, as JSON on API paths, as text elsewhere.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
