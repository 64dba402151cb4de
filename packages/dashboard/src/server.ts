/**
 * `createDashboardServer`: the HTTP server of the dashboard (node:http, no framework). Options
 * are checked before anything listens or reads; the build output is read once, here; one live
 * hub serves every event stream. `handle` is the whole server, so it can be mounted in an
 * `http.Server` of the caller's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import {
  isLogger,
  type Logger,
  ProcessSummaryError,
  type SummaryStore,
  silentLogger,
} from '@process-summary/core';
import { DEFAULT_STALE_AFTER_SECONDS, type RowOptions } from '@process-summary/inspect';
import { defaultWebDir, loadWebAssets } from './http/assets.js';
import { tokenChecker } from './http/auth.js';
import { Coalescer } from './http/coalesce.js';
import { createHandler } from './http/router.js';
import { LiveHub } from './live/hub.js';
import type { DashboardOptions } from './options.js';
import type { RouteContext } from './routes/context.js';

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

/** Port when none is given. */
export const DEFAULT_PORT = 4177;
/** Open event streams at most, when not given. */
export const DEFAULT_MAX_STREAM_CLIENTS = 1000;

/** Bounds on what one connection may hold the server for (see `createServer`'s options). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_HEADERS_COUNT = 64;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;
/**
 * Connections at most (event streams, keep-alive and requests together), on top of the stream
 * limit: a bound on file descriptors whatever the clients do.
 */
const EXTRA_CONNECTIONS = 1000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** What a base path may hold: URL path characters that need no escaping. */
const BASE_PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

function invalid(message: string): ProcessSummaryError {
  return new ProcessSummaryError('E_INVALID_ARGUMENT', `dashboard: ${message}`);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:') && isIP(h.slice(7)) === 4) return h.slice(7).startsWith('127.');
  return false;
}

/**
 * `basePath` as the server uses it: starting and ending with `/`. Refuses one that is not a
 * plain URL path (`..` or `.` segments, `//`, control characters, characters that would need
 * escaping, a query or fragment).
 */
export function normalizeBasePath(basePath: unknown): string {
  if (basePath === undefined) return '/';
  if (typeof basePath !== 'string')
    throw invalid(`basePath must be a string, got ${typeof basePath}`);
  if (!basePath.startsWith('/'))
    throw invalid(`basePath must start with "/" (got ${JSON.stringify(basePath)})`);
  if (CONTROL.test(basePath)) throw invalid('basePath must not contain control characters');
  if (basePath.includes('//'))
    throw invalid(`basePath must not contain "//" (got ${JSON.stringify(basePath)})`);
  if (!BASE_PATH_CHARS.test(basePath)) {
    throw invalid(
      `basePath may hold only letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ / (got ${JSON.stringify(basePath)})`,
    );
  }
  if (basePath.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw invalid(
      `basePath must not contain "." or ".." segments (got ${JSON.stringify(basePath)})`,
    );
  }
  return basePath.endsWith('/') ? basePath : `${basePath}/`;
}

/** The URL a server on `host:port` serves under `basePath` (an IPv6 address in brackets). */
export function urlOf(host: string, port: number, basePath: string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`;
}

interface Settings {
  store: SummaryStore;
  storeLabel: string;
  host: string;
  port: number;
  basePath: string;
  token: string | null;
  staleAfterSeconds: number;
  maxStreamClients: number;
  logger: Logger;
}

/** Checks every option (`E_INVALID_ARGUMENT`) and fills in the defaults. */
function settingsOf(options: DashboardOptions): Settings {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  const store = options.store as Partial<SummaryStore> | undefined;
  if (
    typeof store !== 'object' ||
    store === null ||
    !(['list', 'read', 'events', 'watch', 'ownerStatus'] as const).every(
      (m) => typeof store[m] === 'function',
    )
  ) {
    throw invalid('store must be a SummaryStore (list, read, events, watch, ownerStatus)');
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '' || CONTROL.test(host) || /[\s[\]/]/.test(host)) {
    throw invalid(
      `host must be a host name or an IP address without brackets (got ${JSON.stringify(host)})`,
    );
  }
  const port = options.port ?? DEFAULT_PORT;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid(`port must be an integer from 0 to 65535 (got ${String(port)})`);
  }
  const token = options.token ?? null;
  if (token !== null && (typeof token !== 'string' || token === '' || CONTROL.test(token))) {
    throw invalid(
      'token must be a non-empty string without control characters (line breaks included)',
    );
  }
  if (options.insecure !== undefined && typeof options.insecure !== 'boolean') {
    throw invalid('insecure must be a boolean');
  }
  if (token === null && options.insecure !== true && !isLoopbackHost(host)) {
    throw invalid(
      `serving ${host}, an address other machines can reach, needs a token: pass --token-file FILE (option token), or --insecure (option insecure) to serve it to anyone who can connect`,
    );
  }
  const staleAfterSeconds = options.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS;
  if (
    typeof staleAfterSeconds !== 'number' ||
    !Number.isFinite(staleAfterSeconds) ||
    staleAfterSeconds <= 0
  ) {
    throw invalid(`staleAfterSeconds must be a positive number (got ${String(staleAfterSeconds)})`);
  }
  const maxStreamClients = options.maxStreamClients ?? DEFAULT_MAX_STREAM_CLIENTS;
  if (
    typeof maxStreamClients !== 'number' ||
    !Number.isInteger(maxStreamClients) ||
    maxStreamClients < 1
  ) {
    throw invalid(`maxStreamClients must be an integer >= 1 (got ${String(maxStreamClients)})`);
  }
  const logger = options.logger ?? silentLogger;
  if (!isLogger(logger)) throw invalid('logger must have debug, info, warn and error methods');
  const storeLabel = options.storeLabel ?? 'store';
  if (typeof storeLabel !== 'string') throw invalid('storeLabel must be a string');
  return {
    store: store as SummaryStore,
    storeLabel,
    host,
    port,
    basePath: normalizeBasePath(options.basePath),
    token,
    staleAfterSeconds,
    maxStreamClients,
    logger,
  };
}

/** Options not meant for users: where the build output is (tests of a missing build). */
export interface InternalServerOptions {
  webDir?: string;
  /** Connections the listening server accepts at once; default maxStreamClients + 1,000. */
  maxConnections?: number;
  /** Open event streams per client address; default {@link DEFAULT_MAX_STREAMS_PER_ADDRESS}. */
  maxStreamsPerAddress?: number;
  /** How long a listing or timeline answer is reused, milliseconds (0: never); default 1,000. */
  reuseMs?: number;
  /** How long the store watch outlives the last stream, milliseconds; default 30,000. */
  watchGraceMs?: number;
}

/** Open event streams one client address may hold: one script or browser cannot take them all. */
export const DEFAULT_MAX_STREAMS_PER_ADDRESS = 50;

/**
 * Creates a dashboard server over `options.store` (see {@link DashboardOptions}). Throws
 * `E_INVALID_ARGUMENT` for a bad option, before anything listens or reads the store; a
 * non-loopback host needs a token or `insecure`. Reads the build output (`dist/web`) now:
 * without it the pages answer 503 and the API works.
 */
export function createDashboardServer(
  options: DashboardOptions,
  internal: InternalServerOptions = {},
): DashboardServer {
  const settings = settingsOf(options);
  const { store, logger, staleAfterSeconds } = settings;
  const assets = loadWebAssets(internal.webDir ?? defaultWebDir(), settings.basePath);
  if (assets.index === null) {
    logger.warn(
      {},
      'dashboard: no build output (dist/web): the pages answer 503 until `pnpm build`',
    );
  }
  const now = () => Date.now() / 1000;
  const rowOptions = (): RowOptions => ({ now: now(), staleAfterSeconds });
  const maxConnections = internal.maxConnections ?? settings.maxStreamClients + EXTRA_CONNECTIONS;
  const shared = new Coalescer(internal.reuseMs === undefined ? {} : { reuseMs: internal.reuseMs });
  const hub = new LiveHub({
    store,
    onChange: () => shared.forget(),
    ...(internal.watchGraceMs === undefined ? {} : { watchGraceMs: internal.watchGraceMs }),
    logger,
    rowOptions,
    maxClients: settings.maxStreamClients,
    maxClientsPerAddress: internal.maxStreamsPerAddress ?? DEFAULT_MAX_STREAMS_PER_ADDRESS,
  });
  const context: RouteContext = {
    store,
    storeLabel: settings.storeLabel,
    staleAfterSeconds,
    logger,
    hub,
    now,
    rowOptions,
    shared,
  };
  const handle = createHandler({
    basePath: settings.basePath,
    checkToken: settings.token === null ? null : tokenChecker(settings.token),
    assets,
    context,
    logger,
  });

  let server: Server | null = null;
  let url: string | null = null;
  let listening: Promise<string> | null = null;
  let closing: Promise<void> | null = null;

  /** Settles the promise `listen` returned when `close` wins the race against the socket. */
  let abandonListen: ((error: Error) => void) | null = null;

  const listen = (): Promise<string> => {
    if (closing !== null) {
      return Promise.reject(
        new ProcessSummaryError('E_INVALID_STATE', 'dashboard: the server is closed'),
      );
    }
    listening ??= new Promise<string>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        abandonListen = null;
        outcome();
      };
      abandonListen = (error) => settle(() => reject(error));
      const s = createServer(
        {
          headersTimeout: HEADERS_TIMEOUT_MS,
          requestTimeout: REQUEST_TIMEOUT_MS,
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          maxHeaderSize: MAX_HEADER_BYTES,
          // Node checks the two timeouts above only this often (default 30 s): a slow client
          // would otherwise hold its connection three times longer than headersTimeout says.
          connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
        },
        handle,
      );
      s.maxHeadersCount = MAX_HEADERS_COUNT;
      // Every connection is a file descriptor: past this many, new ones are refused at once.
      s.maxConnections = maxConnections;
      // Event streams are long; the keep-alive comments keep them busy, the timeouts above
      // bound what a client may hold before its request is complete.
      s.timeout = 0;
      server = s;
      s.once('error', (error) => {
        listening = null;
        server = null;
        settle(() => reject(error));
      });
      // Malformed requests, timeouts and oversized headers are left to Node's own clientError
      // answer (400, 408, 431 with Connection: close), which knows when a response is under way.
      s.listen(settings.port, settings.host, () => {
        if (closing !== null) {
          // close() ran while the host was being resolved: the promise is settled already
          // (rejected), and the socket that just opened must not outlive it.
          s.close();
          return;
        }
        const address = s.address();
        const port = typeof address === 'object' && address !== null ? address.port : settings.port;
        url = urlOf(settings.host, port, settings.basePath);
        logger.info({ url }, 'dashboard: listening');
        settle(() => resolve(url as string));
      });
    });
    return listening;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // A listen() still under way is refused now rather than left pending forever.
      abandonListen?.(
        new ProcessSummaryError('E_INVALID_STATE', 'dashboard: closed before it was listening'),
      );
      await hub.close();
      const s = server;
      url = null;
      if (s === null) return;
      await new Promise<void>((resolve) => {
        if (!s.listening) {
          // Not listening (yet): close() would only report ERR_SERVER_NOT_RUNNING; the
          // listening callback above closes the socket should it open later.
          resolve();
          return;
        }
        s.close(() => resolve());
        s.closeAllConnections();
      });
    })();
    return closing;
  };

  return {
    listen,
    get url() {
      return url;
    },
    handle,
    close,
  };
}
