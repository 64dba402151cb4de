/**
 * `createDashboardServer`: the HTTP server of the dashboard (placeholder until the server
 * lands; the shape below is the public contract).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardOptions } from './options.js';

/** A dashboard server: listen, or mount its handler in a server of your own. */
export interface DashboardServer {
  /** Starts listening; resolves the URL it serves (with the base path, ending in `/`). */
  listen(): Promise<string>;
  /** The URL once listening, else `null`. */
  readonly url: string | null;
  /** Handles one request (for embedding in an existing `http.Server`); `listen` uses it too. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Ends every event stream, stops watching the store, stops listening. Idempotent. */
  close(): Promise<void>;
}

export function createDashboardServer(_options: DashboardOptions): DashboardServer {
  throw new Error('not yet');
}
