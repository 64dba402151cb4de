import { codedRangeError, codedTypeError, type Logger, silentLogger } from '@process-summary/core';
import type pg from 'pg';

/** Options of `new PgSummaryStore(…)`. */
export interface PgSummaryStoreOptions {
  /** `postgres://user:password@host:port/database?…`. Either this or `pool`. */
  url?: string;
  /** An existing pool (node-postgres); `close()` leaves it open. Either this or `url`. */
  pool?: pg.Pool;
  /**
   * Where `watch` listens (LISTEN needs a session of its own): a direct connection when `url`
   * goes through a transaction-pooling proxy (PgBouncer `pool_mode = transaction`). Default:
   * `url` (or the pool's connection settings).
   */
  listenUrl?: string;
  /** The PostgreSQL schema holding the tables (or `?schema=NAME` in `url`). Default `process_summary`. */
  schema?: string;
  /** Connections of the pool this store creates. Default 10. */
  poolSize?: number;
  /** A statement running longer is cancelled (`E_STORE_UNAVAILABLE`). Default 30,000 ms; 0: none. */
  statementTimeoutMs?: number;
  /** Giving up on connecting after this long. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** TLS options, passed to node-postgres as they are (`ssl`). */
  ssl?: pg.PoolConfig['ssl'];
  /**
   * A stored summary larger than this is reported (`E_TOO_LARGE`) and never fetched or parsed,
   * as the file store does with files. Default 64 MiB.
   */
  maxSummaryBytes?: number;
  /**
   * Prepare the statements run at every save once per connection (default `true`). Turn it
   * off behind a transaction-pooling proxy that cannot keep prepared statements (PgBouncer
   * before 1.21, or with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
  /** Where the store reports what it noticed (a dropped connection, a repair). Default: silent. */
  logger?: Logger;
  /**
   * An owner whose lease was not renewed for this long (by the database's clock) is gone, when
   * acquire, ownerStatus or an unowned write is not told otherwise. Default 300 s.
   */
  staleAfterSeconds?: number;
}

export interface ResolvedOptions {
  url: string | null;
  pool: pg.Pool | null;
  listenUrl: string | null;
  schema: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  ssl: pg.PoolConfig['ssl'];
  logger: Logger;
  staleAfterSeconds: number;
  maxSummaryBytes: number;
  preparedStatements: boolean;
}

/**
 * A schema name that needs no quoting and leaves room for the channel name built from it
 * (`<schema>_changes`, within PostgreSQL's 63-byte identifiers).
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
const URL_SCHEME = /^postgres(ql)?:\/\//i;

/** Checks every option before anything connects; throws `E_INVALID_ARGUMENT`. */
export function resolveOptions(options: PgSummaryStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'PgSummaryStore: options must be an object');
  }
  const { url, pool } = options;
  if ((url === undefined) === (pool === undefined)) {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      'PgSummaryStore: give either url (postgres://…) or pool, not both and not neither',
    );
  }
  if (url !== undefined) checkUrl('url', url);
  const fromUrl = url === undefined ? null : schemaInUrl(url);
  if (options.listenUrl !== undefined) checkUrl('listenUrl', options.listenUrl);
  if (pool !== undefined && (typeof pool !== 'object' || pool === null || !('query' in pool))) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'PgSummaryStore: pool must be a pg.Pool');
  }
  if (fromUrl !== null && options.schema !== undefined && options.schema !== fromUrl.schema) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: the url names schema ${JSON.stringify(fromUrl.schema)} and the schema option ${JSON.stringify(options.schema)}; give one`,
    );
  }
  const schema = options.schema ?? fromUrl?.schema ?? 'process_summary';
  if (typeof schema === 'string' && (schema.startsWith('pg_') || schema === 'information_schema')) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: schema ${JSON.stringify(schema)} belongs to PostgreSQL itself; choose another`,
    );
  }
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: schema must match ${SCHEMA_NAME} (lower case letters, digits, _; at most 48), got ${JSON.stringify(schema)}`,
    );
  }
  return {
    url: fromUrl?.url ?? url ?? null,
    pool: pool ?? null,
    listenUrl: options.listenUrl ?? null,
    schema,
    poolSize: integer('poolSize', options.poolSize, 10, 1),
    statementTimeoutMs: integer('statementTimeoutMs', options.statementTimeoutMs, 30_000, 0),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1),
    ssl: options.ssl,
    logger: options.logger ?? silentLogger,
    staleAfterSeconds: positive('staleAfterSeconds', options.staleAfterSeconds, 300),
    preparedStatements: flag('preparedStatements', options.preparedStatements, true),
    maxSummaryBytes: integer('maxSummaryBytes', options.maxSummaryBytes, 64 * 1024 * 1024, 1),
  };
}

/**
 * `?schema=NAME` in a URL picks the schema, so one value (`--store`, `PROCESS_SUMMARY_STORE`, a
 * `store` option) names the database and where in it the summaries are. It is taken out of
 * the URL the driver sees.
 */
function schemaInUrl(url: string): { schema: string; url: string } | null {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return null;
  parsed.searchParams.delete('schema');
  return { schema, url: parsed.href };
}

function checkUrl(name: string, url: unknown): void {
  if (typeof url !== 'string' || !URL_SCHEME.test(url)) {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: ${name} must be a postgres:// or postgresql:// URL`,
    );
  }
  try {
    new URL(url);
  } catch {
    throw codedTypeError('E_INVALID_ARGUMENT', `PgSummaryStore: ${name} is not a valid URL`);
  }
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw codedTypeError('E_INVALID_ARGUMENT', `PgSummaryStore: ${name} must be a boolean`);
  }
  return value;
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: ${name} must be an integer >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

export function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `PgSummaryStore: ${name} must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}
