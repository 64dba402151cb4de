/**
 * What `createDashboardServer` takes. Validated before anything listens or reads
 * (`E_INVALID_ARGUMENT`); a non-loopback host without a token and without `insecure` is
 * refused (`E_INVALID_ARGUMENT`, naming `--token-file` and `--insecure`).
 */
import type { Logger, SummaryStore } from '@process-summary/core';

export interface DashboardOptions {
  /** The store to show. The server only reads it (`list`, `read`, `events`, `watch`, `ownerStatus`). */
  store: SummaryStore;
  /** How pages and `/api/runs` name the store (a root path, a URL without its password). */
  storeLabel?: string;
  /** Address to bind. Default `127.0.0.1`. Any other needs `token` or `insecure`. */
  host?: string;
  /** Port. Default 4177; 0 picks a free one (see `DashboardServer.url`). */
  port?: number;
  /** Prefix of every route, for a reverse proxy (`/x` serves `/x/`, `/x/api/runs`, …). Default `/`. */
  basePath?: string;
  /**
   * Required on every request except `/healthz`: `Authorization: Bearer <token>`, or basic
   * auth with any user name and the token as password (what a browser prompts for).
   */
  token?: string | null;
  /** Serve a non-loopback address without a token (the user said so). */
  insecure?: boolean;
  /** After how many silent seconds an owner-less running summary is stale. Default 300. */
  staleAfterSeconds?: number;
  /** At most this many open event streams; more are answered 503. Default 1,000. */
  maxStreamClients?: number;
  /** Where the server reports what it did and what failed. Default: silent unless NODE_DEBUG=process-summary. */
  logger?: Logger;
}
