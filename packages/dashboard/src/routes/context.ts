/** What every route is given: the server's settings and the request, already parsed. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@process-summary/core';
import { assertValidName, type SummaryRef, type SummaryStore } from '@process-summary/core';
import type { RowOptions } from '@process-summary/inspect';
import type { Coalescer } from '../http/coalesce.js';
import { HttpError } from '../http/json.js';
import type { LiveHub } from '../live/hub.js';

/** The server's side of a route. */
export interface RouteContext {
  store: SummaryStore;
  storeLabel: string;
  staleAfterSeconds: number;
  logger: Logger;
  hub: LiveHub;
  /** Server time, epoch seconds. */
  now(): number;
  /** How rows are judged now. */
  rowOptions(): RowOptions;
  /** Shares identical expensive reads in flight (listings, timelines) and bounds them. */
  shared: Coalescer;
}

/** One request as a route sees it. */
export interface RouteRequest {
  request: IncomingMessage;
  response: ServerResponse;
  /** The path segments the route pattern captured, URI-decoded (e.g. run and process). */
  params: string[];
  query: URLSearchParams;
}

/** A route: answers the request, or throws ({@link HttpError}, a coded error, a store error). */
export type Route = (context: RouteContext, request: RouteRequest) => Promise<void>;

/**
 * One query parameter that may appear at most once: `?a=1&a=2` is refused rather than
 * guessed at.
 */
export function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) {
    throw new HttpError(400, 'E_INVALID_ARGUMENT', `the query parameter "${name}" is given twice`);
  }
  return values[0];
}

/** The summary ref of `/api/runs/:run/:process[?worker=W]`, names checked (`E_INVALID_NAME`). */
export function refOf({ params, query }: RouteRequest): SummaryRef {
  const [runName, processName] = params;
  assertValidName('run', runName);
  assertValidName('process', processName);
  const worker = single(query, 'worker');
  if (worker !== undefined) assertValidName('worker', worker);
  return { runName, processName, worker: worker ?? null };
}

/** A non-negative integer query parameter within `[min, max]`, or `fallback` when absent. */
export function integerParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = single(query, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(
      400,
      'E_INVALID_ARGUMENT',
      `the query parameter "${name}" must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}
