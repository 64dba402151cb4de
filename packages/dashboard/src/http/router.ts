/**
 * The request handler: method, size and path checks, the token, then one route per path.
 * Everything is under the base path; outside it there is nothing (404). The server is
 * read-only: only GET and HEAD, and a request with a body is refused unread.
 *
 * Paths are matched on the raw request target (never normalized, so `..` or `%2e%2e` are just
 * names that match no route), split on `/`, and each segment URI-decoded on its own (a
 * malformed escape is a 400). Names are checked by core's `assertValidName` before any store
 * call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@process-summary/core';
import type { Route, RouteContext } from '../routes/context.js';
import { eventsRoute } from '../routes/events.js';
import { healthRoute } from '../routes/health.js';
import { metricsRoute } from '../routes/metrics.js';
import { runRoute } from '../routes/run.js';
import { runsRoute } from '../routes/runs.js';
import { streamRoute } from '../routes/stream.js';
import { timelineRoute } from '../routes/timeline.js';
import { sendAsset, sendNoBuild, type WebAssets } from './assets.js';
import { WWW_AUTHENTICATE } from './auth.js';
import { setSecurityHeaders } from './headers.js';
import { HttpError, sendApiError, sendText } from './json.js';

/** Request targets longer than this (bytes of the URL) are refused with 414. */
export const MAX_URL_LENGTH = 8 * 1024;

/** What the handler needs besides the routes' context. */
export interface HandlerOptions {
  /** Normalized: starts and ends with `/`. */
  basePath: string;
  /** `null` when no token is required. */
  checkToken: ((request: IncomingMessage) => boolean) | null;
  assets: WebAssets;
  context: RouteContext;
  logger: Logger;
}

type Match = { route: Route; params: string[]; auth: boolean } | { page: true } | { asset: string };

/** The route of `segments` (decoded path segments after the base), or `null`. */
function match(segments: readonly string[]): Match | null {
  const [first, second, third, fourth, fifth, ...extra] = segments;
  const n = segments.length;
  if (n === 1 && first === '') return { page: true };
  if (first === 'runs' && n >= 2) return { page: true };
  if (n === 1 && first === 'healthz') return { route: healthRoute, params: [], auth: false };
  if (n === 1 && first === 'metrics') return { route: metricsRoute, params: [], auth: true };
  if (n === 2 && first === 'assets') return { asset: `assets/${second}` };
  if (first !== 'api' || extra.length > 0) return null;
  if (n === 2 && second === 'stream') return { route: streamRoute, params: [], auth: true };
  if (second !== 'runs') return null;
  if (n === 2) return { route: runsRoute, params: [], auth: true };
  const params = [third as string, fourth as string];
  if (n === 4) return { route: runRoute, params, auth: true };
  if (n === 5 && fifth === 'timeline') return { route: timelineRoute, params, auth: true };
  if (n === 5 && fifth === 'events') return { route: eventsRoute, params, auth: true };
  return null;
}

/** The HTTP status of a coded error a route or the store threw. */
function statusOf(code: unknown): number {
  switch (code) {
    case 'E_INVALID_NAME':
    case 'E_INVALID_ARGUMENT':
    case 'E_INVALID_OFFSET':
      return 400;
    case 'E_NOT_FOUND':
      return 404;
    case 'E_STORE_UNAVAILABLE':
    case 'E_IO':
      return 503;
    default:
      return 500;
  }
}

/** Builds the `(request, response)` handler of a dashboard. */
export function createHandler(
  options: HandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { basePath, checkToken, assets, context, logger } = options;
  const apiPrefix = `${basePath}api/`;
  const baseWithoutSlash = basePath.slice(0, -1);

  const fail = (
    request: IncomingMessage,
    response: ServerResponse,
    api: boolean,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    if (api) sendApiError(request, response, status, code, message, headers);
    else sendText(request, response, status, message, headers);
  };

  const answerError = (
    request: IncomingMessage,
    response: ServerResponse,
    api: boolean,
    error: unknown,
  ) => {
    if (response.headersSent) {
      // Part of an answer went out: the only honest end is a cut connection.
      response.destroy();
      return;
    }
    if (error instanceof HttpError) {
      fail(request, response, api, error.status, error.code, error.message, error.headers);
      return;
    }
    const code = (error as { code?: unknown } | null)?.code;
    const status = statusOf(code);
    const text = error instanceof Error ? error.message : String(error);
    if (status < 500) {
      fail(request, response, api, status, String(code), text);
      return;
    }
    logger.error(
      { code: typeof code === 'string' ? code : undefined, error: text, url: request.url },
      status === 503 ? 'dashboard: the store could not be read' : 'dashboard: a request failed',
    );
    if (status === 503) {
      fail(
        request,
        response,
        api,
        503,
        String(code),
        `the store could not be read (${String(code)}); the server log says why`,
        { 'Retry-After': '5' },
      );
    } else {
      fail(
        request,
        response,
        api,
        500,
        'E_INVALID_STATE',
        'the server failed to answer; the server log says why',
      );
    }
  };

  const serve = (request: IncomingMessage, response: ServerResponse): void => {
    setSecurityHeaders(response);
    const target = request.url ?? '';
    const api = target.startsWith(apiPrefix);
    if (target.length > MAX_URL_LENGTH) {
      fail(
        request,
        response,
        api,
        414,
        'E_INVALID_ARGUMENT',
        `the URL is longer than ${MAX_URL_LENGTH} bytes`,
        { Connection: 'close' },
      );
      return;
    }
    const method = request.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      // Read-only: no method changes anything, and a body sent with one is not read.
      fail(
        request,
        response,
        api,
        405,
        'E_UNSUPPORTED',
        `${method} is not allowed: the dashboard is read-only (GET, HEAD)`,
        { Allow: 'GET, HEAD', Connection: 'close' },
      );
      return;
    }
    const length = request.headers['content-length'];
    if (
      (length !== undefined && length !== '0') ||
      request.headers['transfer-encoding'] !== undefined
    ) {
      fail(request, response, api, 413, 'E_INVALID_ARGUMENT', 'a request body is not accepted', {
        Connection: 'close',
      });
      return;
    }
    const query = target.indexOf('?');
    const path = query === -1 ? target : target.slice(0, query);
    if (path === baseWithoutSlash && baseWithoutSlash !== '') {
      // `/x` for a base of `/x/`: the pages resolve their relative URLs against the slash.
      response.statusCode = 308;
      // Same origin: the base path is checked to start with one `/` and hold no `//`.
      response.setHeader('Location', `${basePath}${query === -1 ? '' : target.slice(query)}`);
      response.setHeader('Content-Length', '0');
      response.end();
      return;
    }
    if (!path.startsWith(basePath)) {
      fail(request, response, api, 404, 'E_NOT_FOUND', 'not found');
      return;
    }
    const segments: string[] = [];
    for (const raw of path.slice(basePath.length).split('/')) {
      try {
        segments.push(decodeURIComponent(raw));
      } catch {
        fail(
          request,
          response,
          api,
          400,
          'E_INVALID_ARGUMENT',
          'a path segment is not valid URI encoding',
        );
        return;
      }
    }
    const found = match(segments);
    const needsToken = found === null || !('route' in found) || found.auth;
    if (needsToken && checkToken !== null && !checkToken(request)) {
      fail(
        request,
        response,
        api,
        401,
        'E_UNAUTHORIZED',
        'this dashboard needs its token: Authorization: Bearer <token>, or basic auth with the token as password',
        { 'WWW-Authenticate': WWW_AUTHENTICATE },
      );
      return;
    }
    if (found === null) {
      fail(request, response, api, 404, 'E_NOT_FOUND', 'not found');
      return;
    }
    if ('page' in found) {
      if (assets.index === null) sendNoBuild(request, response);
      else sendAsset(request, response, assets.index);
      return;
    }
    if ('asset' in found) {
      // A lookup, not a path join: only the build output's own names exist.
      const asset = assets.files.get(found.asset);
      if (asset === undefined) fail(request, response, false, 404, 'E_NOT_FOUND', 'not found');
      else sendAsset(request, response, asset);
      return;
    }
    const search = new URLSearchParams(query === -1 ? '' : target.slice(query + 1));
    found
      .route(context, { request, response, params: found.params, query: search })
      .catch((error: unknown) => answerError(request, response, api, error));
  };

  return (request, response) => {
    try {
      serve(request, response);
    } catch (error) {
      answerError(request, response, request.url?.startsWith(apiPrefix) ?? false, error);
    }
  };
}
