import pg from 'pg';
import { storeError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** A connection of the pool, inside a transaction. */
export type Tx = pg.PoolClient;

/**
 * The pool this store talks through, and the two ways it is used: one statement, or a
 * transaction. Every failure comes out coded (`E_STORE_UNAVAILABLE` when the server cannot be
 * reached); the pool drops a broken connection and opens another on the next call, so a store
 * outlives a server restart.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #options: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#ownsPool = options.pool === null;
    this.pool = options.pool ?? new pg.Pool(connectionConfig(options, options.url as string));
    // An idle connection that the server drops emits 'error' on the pool: unhandled, it would
    // kill the pipeline. The next query simply opens another connection.
    this.pool.on('error', (err) => {
      options.logger.warn(
        { err: String(err.message ?? err) },
        'process-summary: an idle PostgreSQL connection was dropped; the next call reconnects',
      );
    });
  }

  /**
   * One statement. With `name`, prepared once per connection (the save, run thousands of times
   * a minute, is planned once) unless `preparedStatements` is off (a proxy that cannot keep
   * them).
   */
  async query<R extends pg.QueryResultRow>(
    doing: string,
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<pg.QueryResult<R>> {
    try {
      if (name !== undefined && this.#options.preparedStatements) {
        return await this.pool.query<R>({ name, text, values });
      }
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw storeError(err, doing);
    }
  }

  /**
   * {@link query}, on the one connection every lane query in flight shares: a caller that asks
   * for several batches at once (a listing reading ahead) has them answered one after another
   * on a connection it already has, instead of making the pool open one connection per batch.
   * A new connection costs the server a backend (~9 ms of CPU on the bench machine, plus a TLS
   * handshake on a remote one), more than a batch of a listing costs it to answer; and the
   * server, sent the next query as soon as it answers one, works while the caller makes rows of
   * the answer. The connection is taken from the pool for the first lane query and given back
   * when none is left.
   */
  async laneQuery<R extends pg.QueryResultRow>(
    doing: string,
    text: string,
    values: unknown[],
    name: string,
  ): Promise<pg.QueryResult<R>> {
    if (this.#lane === null || this.#lane.closed) {
      const lane = new Lane(this.pool.connect(), () => {
        if (this.#lane === lane) this.#lane = null;
      });
      this.#lane = lane;
    }
    const config = this.#options.preparedStatements ? { name, text, values } : { text, values };
    try {
      return (await this.#lane.query(config)) as pg.QueryResult<R>;
    } catch (err) {
      throw storeError(err, doing);
    }
  }

  #lane: Lane | null = null;

  /** Runs `work` in one transaction (READ COMMITTED), committed when it resolves. */
  async transaction<T>(doing: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(err, doing);
    }
    let broken: unknown;
    // A connection checked out of the pool has no 'error' listener of the pool's: if the
    // server goes away while we hold it, its 'error' event would be unhandled and kill the
    // process. The failing query rejects on its own; this only keeps the event handled.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = err;
      try {
        await client.query('ROLLBACK');
        broken = undefined;
      } catch {}
      throw storeError(err, doing);
    } finally {
      client.off('error', onError);
      // A connection whose rollback failed (or that broke) is not given back to others.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  /** A connection of its own, outside the pool (LISTEN needs a session). */
  dedicatedClient(): pg.Client {
    const url = this.#options.listenUrl ?? this.#options.url;
    // Named apart, so an operator sees in pg_stat_activity which sessions are watchers.
    const name = { application_name: 'process-summary watch' };
    if (url !== null) return new pg.Client({ ...connectionConfig(this.#options, url), ...name });
    // An existing pool: connect the way it does.
    const options = (this.pool as unknown as { options: pg.ClientConfig }).options;
    return new pg.Client({ ...options, ...name });
  }

  async end(): Promise<void> {
    if (this.#ownsPool) await this.pool.end();
  }
}

/** Characters a quoted element of an array literal must escape. */
const ARRAY_ESCAPED = /["\\]/;

/**
 * `values` as a PostgreSQL `text[]` literal (`{"a","b"}`), every element quoted (so `NULL`,
 * spaces and braces are text like any other) and `"` and `\` escaped. The same value the driver
 * would send for the array, without its per-element escaping through two regular expressions
 * and a type check, which costs a listing of 10,000 runs more than the query it sends.
 */
export function textArray(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    let value = values[i] as string;
    if (ARRAY_ESCAPED.test(value)) value = value.replace(/["\\]/g, '\\$&');
    out += i === 0 ? `"${value}"` : `,"${value}"`;
  }
  return `${out}}`;
}

function connectionConfig(options: ResolvedOptions, url: string): pg.PoolConfig {
  return {
    connectionString: url,
    max: options.poolSize,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.statementTimeoutMs === 0 ? {} : { statement_timeout: options.statementTimeoutMs }),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'process-summary',
    // A pipeline that is done exits; idle connections must not hold it open.
    allowExitOnIdle: true,
  };
}

type LaneQuery = {
  config: pg.QueryConfig;
  resolve(result: pg.QueryResult): void;
  reject(err: unknown): void;
};

/**
 * One connection of the pool and the queries waiting for it (see `Database.laneQuery`): one
 * at a time (pg refuses a query sent while another runs), the next sent the moment one is
 * answered, before its caller goes on with the answer.
 */
class Lane {
  closed = false;
  readonly #waiting: LaneQuery[] = [];
  #client: pg.PoolClient | null = null;
  #busy = false;
  /** The first error a query or the connection met: the connection is then not given back. */
  #broken: unknown;
  readonly #onError = (err: Error) => {
    this.#broken ??= err;
  };

  constructor(
    connecting: Promise<pg.PoolClient>,
    readonly onClose: () => void,
  ) {
    connecting.then(
      (client) => {
        // As in `transaction`: a checked-out connection has no 'error' listener of the pool's.
        client.on('error', this.#onError);
        this.#client = client;
        this.#next();
      },
      (err) => {
        this.#close();
        for (const query of this.#waiting.splice(0)) query.reject(err);
      },
    );
  }

  query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ config, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    const client = this.#client;
    if (client === null || this.#busy) return;
    const query = this.#waiting.shift();
    if (query === undefined) {
      // Nothing left: the connection goes back to the pool (or, broken, is closed).
      this.#close();
      client.off('error', this.#onError);
      client.release(this.#broken === undefined ? undefined : (this.#broken as Error));
      return;
    }
    this.#busy = true;
    client.query(query.config).then(
      (result) => {
        this.#busy = false;
        this.#next();
        query.resolve(result);
      },
      (err: unknown) => {
        this.#broken ??= err;
        this.#busy = false;
        this.#next();
        query.reject(err);
      },
    );
  }

  #close(): void {
    this.closed = true;
    this.onClose();
  }
}
