import { createHash, randomUUID } from 'node:crypto';
import {
  type Acquired,
  type AcquireOptions,
  assertValidName,
  assertValidRef,
  assertValidStateKey,
  checkListedFields,
  checkSummaryDict,
  codedRangeError,
  codedTypeError,
  compareRefs,
  type EventsOptions,
  encodeStateWrite,
  type JournalRecord,
  type JsonValue,
  type Lease,
  type ListedListing,
  type ListedSummary,
  type Listing,
  type ListingPage,
  type ListOptions,
  type LoadOptions,
  type LoadResult,
  listingOf,
  type OwnerStatus,
  type OwnershipOptions,
  type PreviousOwner,
  ProcessSummary,
  ProcessSummaryError,
  type ReadOptions,
  type ReadResult,
  refName,
  replayEvents,
  type StateDocument,
  type StoreWarning,
  type SummaryEvent,
  type SummaryRef,
  type SummaryStore,
  sameRef,
  stateConflict,
  summaryDictToWrite,
  type WatchOptions,
} from '@process-summary/core';
import { Coalescer } from './coalesce.js';
import { Database, type Tx, textArray } from './db.js';
import { isUnavailable } from './errors.js';
import { encodeListing, LISTING_FORMAT_ID, listingOfStored } from './listing.js';
import { currentOwner } from './local-process.js';
import { migrate } from './migrations.js';
import {
  type PgSummaryStoreOptions,
  positive,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import {
  concurrentRun,
  judge,
  leaseLost,
  NO_OWNER,
  OWNER_COLUMNS,
  type OwnerRow,
  ownerIdentity,
} from './ownership.js';
import { LISTENER_TTL_SECONDS, watchChanges } from './watch.js';

/** The key columns of a ref: a process run as one has worker `''`. */
type Key = [runName: string, processName: string, worker: string];

/** Every column a writer judges a row by (owner, acquire token, last write, whether it holds a summary). */
const LOCKED_COLUMNS = `${OWNER_COLUMNS}, owner_token, owner_previous, last_write_id,
  body IS NOT NULL AS has_body`;

interface LockedRow extends OwnerRow {
  owner_token: string | null;
  owner_previous: PreviousOwner | null;
  last_write_id: string | null;
  has_body: boolean;
}

/** Rows of `events` fetched per round trip. */
const EVENTS_PAGE = 1000;

interface BodyRow {
  body: string | null;
  size_bytes: number | null;
  written_at: number | null;
  /** int8 as text from a row; a number from a listing's JSON. */
  written_epoch: string | number | null;
  has_history: boolean;
}

/**
 * Refs per `readListing` query: its answer is one text of this many entries (a few hundred bytes
 * each), well under PostgreSQL's and V8's string limits however many refs a caller passes.
 */
const LISTING_BATCH = 1000;

/**
 * A projection taking more than this many bytes of storage (`pg_column_size`, read from the
 * value's header: its text length costs a conversion per row) is not put into a listing's
 * answer; that summary is read whole instead. Projections are a few hundred bytes (error types
 * are the only part that grows, bounded by the summary's limits), so this only keeps a
 * pathological row from making a batch's text large: uncompressed, a batch stays under
 * `LISTING_BATCH * MAX_LISTED_BYTES` (16 MiB).
 */
const MAX_LISTED_BYTES = 16 * 1024;

/**
 * Rows per page of `scanListings`: its answer is one text of this many entries, as a batch of
 * `readListing` is.
 */
export const SCAN_PAGE = 1000;

/**
 * One row's entry in a page of `scanListings`: whether it has history, its key, size, when and
 * under which epoch it was written, its stored projection; then, unless the row's own
 * `listing_entry` (made when it was written, see migration 5) was usable as it is, whether it has
 * a body and whether that is readable (present and within `maxSummaryBytes`). Without them
 * both are true.
 */
type ScanEntry = [
  hasHistory: boolean,
  runName: string,
  processName: string,
  worker: string,
  size: number | null,
  writtenAt: number | string | null,
  epoch: number | null,
  stored: unknown,
  hasBody?: boolean,
  readable?: boolean | null,
];

/** Refuses the options of `list` or `scanListings` before anything is read. */
function assertListOptions(method: string, options: ListOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw codedTypeError('E_INVALID_ARGUMENT', `${method}: options must be an object`);
  }
  if (options.runName !== undefined) assertValidName('run', options.runName);
}

/** What one page query answers: its entries as one JSON text, how many, and the last key. */
interface ScanAnswer {
  entries: string | null;
  n: number;
  last: Key | null;
}

/**
 * One ref's entry in a listing's answer (see `readListing`): `null` when there is no row, else
 * the row's `size_bytes`, `written_at` (a number, or `"Infinity"` as PostgreSQL's JSON writes
 * an infinite one), `written_epoch`, whether it has history, whether its body is there to be
 * read (present and within `maxSummaryBytes`), and its stored projection when usable.
 */
type ListingEntry =
  | [
      size: number | null,
      writtenAt: number | string | null,
      epoch: number | null,
      hasHistory: boolean,
      readable: boolean | null,
      stored: unknown,
    ]
  | null;

/**
 * A {@link SummaryStore} on PostgreSQL, for many workers on many hosts reporting into one
 * database. Ownership is a lease row whose epoch fences every write inside the database (a
 * write carrying a stale epoch changes nothing, whatever the timing); leases expire by the
 * database's clock; the journal is an append-only table; `watch` follows LISTEN/NOTIFY and
 * catches up after a reconnect. Connects lazily; the schema is created (and migrated) on
 * first use.
 */
export class PgSummaryStore implements SummaryStore {
  readonly #options: ResolvedOptions;
  readonly #db: Database;
  readonly #s: string;
  /** The schema as SQL names it: quoted, so a reserved word is a name like any other. */
  readonly #q: string;
  readonly #channel: string;
  #ready: Promise<void> | null = null;
  readonly #saves = new Coalescer<ProcessSummary, Lease | undefined>(
    (summary, lease) => this.#write(summary, lease),
    (a, b) => a?.epoch === b?.epoch,
  );
  readonly #closing = new AbortController();
  #closed: Promise<void> | null = null;
  /** Watches ending (their connections closing): `close` waits for them. */
  readonly #watchEndings = new Set<Promise<void>>();
  /** Saves called and not yet settled: `close` waits for them. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Per summary: a write whose outcome is unknown, its journal lines and the row it expected. */
  readonly #unsure = new WeakMap<
    ProcessSummary,
    { writeId: string; events: SummaryEvent[]; before: string | null | undefined }
  >();
  /** Per ref and lease: the id of the last write this store knows committed. */
  readonly #known = new Map<string, string | null>();
  /** Per ref: the token of an acquire whose answer was lost. */
  readonly #unsureAcquire = new Map<string, string>();
  /** Per ref, for unowned writes: the epoch of an owner found provably gone on this host. */
  readonly #deadOwner = new Map<string, string | null>();

  constructor(options: PgSummaryStoreOptions) {
    this.#options = resolveOptions(options);
    this.#s = this.#options.schema;
    this.#q = `"${this.#s}"`;
    this.#channel = `${this.#s}_changes`;
    this.#db = new Database(this.#options);
  }

  /** The PostgreSQL schema holding this store's tables. */
  get schema(): string {
    return this.#s;
  }

  /** Creates or migrates the schema now (otherwise the first call does). */
  ready(): Promise<void> {
    this.#ready ??= migrate(this.#db, this.#s).catch((err) => {
      // A server that was down is tried again by the next call.
      this.#ready = null;
      throw err;
    });
    return this.#ready;
  }

  /**
   * Waits for the saves already called, then ends every `watch` and the pool (when this store
   * created it). Idempotent; any call after it is refused with `E_INVALID_STATE`.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      this.#closing.abort();
      await Promise.allSettled([...this.#watchEndings]);
      await this.#db.end();
    })();
    return this.#closed;
  }

  /** Refuses a call on a closed store (the pool is gone: it would fail as a database error). */
  #open(): void {
    if (this.#closed !== null) {
      throw new ProcessSummaryError(
        'E_INVALID_STATE',
        `process-summary: this PgSummaryStore (schema ${this.#s}) is closed`,
      );
    }
  }

  // ---- owner side -------------------------------------------------------------------------

  async acquire(ref: SummaryRef, options: AcquireOptions = {}): Promise<Acquired> {
    this.#open();
    assertValidRef(ref);
    const threshold = positive(
      'staleAfterSeconds',
      options.staleAfterSeconds,
      this.#options.staleAfterSeconds,
    );
    const identity = ownerIdentity(options.owner ?? currentOwner());
    const key = keyOf(ref);
    await this.ready();
    const unsure = this.#unsureAcquire.get(knownKey(key, undefined));
    const token = randomUUID();
    try {
      return await this.#db.transaction(`acquiring ${refName(ref)}`, async (tx) => {
        await tx.query(
          `INSERT INTO ${this.#q}.summaries (run_name, process_name, worker) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          key,
        );
        const row = await this.#lockRow(tx, key);
        if (unsure !== undefined && row !== undefined && row.owner_token === unsure) {
          // Our own acquire, whose answer was lost: it committed. Hand out that lease.
          this.#unsureAcquire.delete(knownKey(key, undefined));
          const epoch = Number(row.owner_epoch);
          this.#known.set(knownKey(key, { epoch } as Lease), row.last_write_id);
          return {
            lease: {
              ref: publicRef(key),
              epoch,
              owner: identity,
              since: row.owner_since ?? row.db_now,
            },
            previous: row.owner_previous,
          };
        }
        const status = judge(row, threshold);
        if (status.state === 'alive' && status.owner !== null)
          throw concurrentRun(ref, status.owner);
        const previous: PreviousOwner | null =
          status.owner === null
            ? null
            : { owner: status.owner, reason: status.gone ?? 'stale', detail: status.reason };
        const granted = await tx.query<{ epoch: string; since: number }>(
          `UPDATE ${this.#q}.summaries SET last_epoch = last_epoch + 1, owner_epoch = last_epoch + 1,
             owner_host = $4, owner_pid = $5, owner_boot_id = $6, owner_pid_namespace = $7,
             owner_pid_start = $8, owner_since = now(), owner_heartbeat = now(),
             owner_token = $9, owner_previous = $10::json, change_xid = pg_current_xact_id()
           WHERE run_name = $1 AND process_name = $2 AND worker = $3
           RETURNING owner_epoch AS epoch, extract(epoch FROM now())::float8 AS since`,
          [
            ...key,
            identity.host,
            identity.pid,
            identity.bootId ?? null,
            identity.pidNamespace ?? null,
            identity.pidStart ?? null,
            token,
            previous === null ? null : JSON.stringify(previous),
          ],
        );
        await this.#notify(tx, key);
        const { epoch, since } = granted.rows[0] as { epoch: string; since: number };
        const lease: Lease = { ref: publicRef(key), epoch: Number(epoch), owner: identity, since };
        this.#known.set(knownKey(key, lease), row?.last_write_id ?? null);
        return { lease, previous };
      });
    } catch (err) {
      // The answer of an acquire that may have committed was lost: the next acquire of this
      // ref by this store recognises the token, instead of finding itself a live owner.
      if (isUnavailable((err as { cause?: unknown }).cause ?? err)) {
        this.#unsureAcquire.set(knownKey(key, undefined), token);
      }
      throw err;
    }
  }

  async renew(lease: Lease): Promise<void> {
    this.#open();
    const ref = leaseRef(lease);
    await this.ready();
    const key = keyOf(ref);
    const result = await this.#db.query(
      `renewing the lease on ${refName(ref)}`,
      `UPDATE ${this.#q}.summaries SET owner_heartbeat = now()
       WHERE run_name = $1 AND process_name = $2 AND worker = $3 AND owner_epoch = $4`,
      [...key, lease.epoch],
    );
    if (result.rowCount === 0) throw leaseLost(ref, lease.epoch, await this.#ownerRow(key));
  }

  async release(lease: Lease): Promise<void> {
    this.#open();
    const ref = leaseRef(lease);
    await this.ready();
    const key = keyOf(ref);
    this.#known.delete(knownKey(key, lease));
    await this.#db.query(
      `releasing ${refName(ref)}`,
      `WITH released AS (
         UPDATE ${this.#q}.summaries SET owner_epoch = NULL, owner_host = NULL, owner_pid = NULL,
           owner_boot_id = NULL, owner_pid_namespace = NULL, owner_pid_start = NULL,
           owner_since = NULL, owner_heartbeat = NULL, owner_token = NULL, owner_previous = NULL,
           change_xid = pg_current_xact_id()
         WHERE run_name = $1 AND process_name = $2 AND worker = $3 AND owner_epoch = $4
         RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM released) AND ${this.#listening()}
         THEN pg_notify($5, $6) END`,
      [...key, lease.epoch, this.#channel, JSON.stringify(key)],
    );
  }

  async load(ref: SummaryRef, options: LoadOptions = {}): Promise<LoadResult | null> {
    this.#open();
    assertValidRef(ref);
    await this.ready();
    const key = keyOf(ref);
    const row = await this.#bodyRow(key, `loading ${refName(ref)}`);
    if (row === undefined || (row.body === null && row.size_bytes === null && !row.has_history)) {
      return null;
    }
    const location = this.#location(key);
    if (row.body === null && row.size_bytes !== null) {
      throw new ProcessSummaryError(
        'E_TOO_LARGE',
        `process-summary: ${location} is ${row.size_bytes} bytes, over the limit of ${this.#options.maxSummaryBytes} (maxSummaryBytes); left as it is`,
      );
    }
    const { allOrNothing, ...fromDictOptions } = options;
    if (row.body !== null) {
      const parsed = parseBody(row.body, true);
      if (!('problem' in parsed)) {
        return {
          summary: ProcessSummary.fromDict(
            parsed.dict as Parameters<typeof ProcessSummary.fromDict>[0],
            fromDictOptions,
          ),
          warnings: [],
        };
      }
      const { problem } = parsed;
      // A body that is not a summary (edited by hand, written by a newer version): set a
      // copy aside, then rebuild from the journal, or refuse. It is never dropped.
      if (problem.code === 'E_UNSUPPORTED_VERSION') {
        throw new ProcessSummaryError('E_UNSUPPORTED_VERSION', `${location}: ${problem.reason}`, {
          issues: problem.issues,
        });
      }
      if (!row.has_history) {
        throw new ProcessSummaryError(
          'E_CORRUPT',
          `process-summary: ${location} ${problem.reason}, and there is no journal to rebuild it from; it was left as it is`,
          { issues: problem.issues },
        );
      }
      const setAside = await this.#setAsideCopy(key, 'corrupt', row.body);
      const warning: StoreWarning = {
        code: 'E_INVALID_SUMMARY',
        message: `${location} ${problem.reason}; a copy was set aside as ${setAside.location} and the summary rebuilt from its journal`,
      };
      const summary = await this.#rebuild(ref, key, fromDictOptions);
      this.#options.logger.warn({ location, setAside: setAside.location }, warning.message);
      return allOrNothing === true
        ? { summary, warnings: [warning], undo: setAside.undo }
        : { summary, warnings: [warning] };
    }
    const summary = await this.#rebuild(ref, key, fromDictOptions);
    const warning: StoreWarning = {
      code: 'E_NOT_FOUND',
      message: `${location} has no summary; rebuilt from its journal`,
    };
    this.#options.logger.warn({ location }, warning.message);
    return { summary, warnings: [warning] };
  }

  save(summary: ProcessSummary, lease?: Lease): Promise<void> {
    try {
      // Duck-typed: `instanceof` fails across two installed copies of core.
      if (typeof (summary as Partial<ProcessSummary> | null)?.getSummaryDict !== 'function') {
        throw codedTypeError('E_INVALID_ARGUMENT', 'save: expected a ProcessSummary');
      }
      const ref = summaryRef(summary);
      assertValidRef(ref);
      if (lease !== undefined) checkLeaseFor(lease, ref);
      this.#open();
    } catch (err) {
      return Promise.reject(err);
    }
    const saving = this.#saves.run(summary, lease);
    this.#inFlight.add(saving);
    const settle = () => this.#inFlight.delete(saving);
    saving.then(settle, settle);
    return saving;
  }

  async archive(ref: SummaryRef, lease?: Lease): Promise<string | null> {
    return this.#fencedTransaction('archiving', ref, lease, async (tx, key, row) => {
      if (row === undefined || !row.has_body) return null;
      const archived = await tx.query<{ id: string }>(
        `INSERT INTO ${this.#q}.archive (run_name, process_name, worker, reason, body, written_epoch)
         SELECT run_name, process_name, worker, 'archived', body, written_epoch FROM ${this.#q}.summaries
         WHERE run_name = $1 AND process_name = $2 AND worker = $3
         RETURNING id`,
        key,
      );
      const id = (archived.rows[0] as { id: string }).id;
      await tx.query(
        `WITH moved AS (
           DELETE FROM ${this.#q}.journal WHERE run_name = $1 AND process_name = $2 AND worker = $3
           RETURNING seq, event)
         INSERT INTO ${this.#q}.archive_journal (archive_id, seq, event) SELECT $4, seq, event FROM moved`,
        [...key, id],
      );
      await this.#clearBody(tx, key);
      await this.#notify(tx, key);
      return `${this.#s}.archive#${id}`;
    });
  }

  async remove(ref: SummaryRef, lease?: Lease): Promise<boolean> {
    return this.#fencedTransaction('removing', ref, lease, async (tx, key, row) => {
      if (row === undefined) return false;
      await tx.query(
        `DELETE FROM ${this.#q}.journal WHERE run_name = $1 AND process_name = $2 AND worker = $3`,
        key,
      );
      await this.#clearBody(tx, key);
      await this.#notify(tx, key);
      return row.has_body;
    });
  }

  // ---- reader side ------------------------------------------------------------------------

  async read(ref: SummaryRef, options: ReadOptions = {}): Promise<ReadResult | null> {
    this.#open();
    assertValidRef(ref);
    await this.ready();
    const key = keyOf(ref);
    const row = await this.#bodyRow(key, `reading ${refName(ref)}`);
    return row === undefined ? null : this.#readResult(key, row, options.full ?? true);
  }

  async readMany(
    refs: readonly SummaryRef[],
    options: ReadOptions = {},
  ): Promise<(ReadResult | null)[]> {
    return this.#readBatch('readMany', refs, options.full ?? true);
  }

  /**
   * `readMany` with `full: false`, each dict cut to core's `LISTING_FIELDS` (see
   * {@link SummaryStore.readListing}), from the row's `listing` column (the projection its
   * writer stored with the body, see listing.ts) instead of the body. A row without a usable one
   * (a body written behind the store's back, before schema version 3, by a version with other
   * fields, or a projection edited into something else) is read whole and cut, in one more
   * query for all such rows.
   *
   * The answer for up to {@link LISTING_BATCH} refs comes as one text, a JSON array of one
   * entry per ref ({@link ListingEntry}) that embeds each projection as it is stored: a listing
   * of 10,000 runs then parses ten texts instead of ten thousand rows of seven columns, which
   * cost the driver (and the garbage collector) more than the projections themselves.
   */
  async readListing(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]> {
    this.#open();
    if (!Array.isArray(refs))
      throw codedTypeError('E_INVALID_ARGUMENT', 'readListing: refs must be an array');
    for (const ref of refs) assertValidRef(ref);
    if (refs.length === 0) return [];
    await this.ready();
    if (refs.length <= LISTING_BATCH) return this.#readListingBatch(refs);
    const out: (ReadResult | null)[] = [];
    for (let start = 0; start < refs.length; start += LISTING_BATCH) {
      out.push(...(await this.#readListingBatch(refs.slice(start, start + LISTING_BATCH))));
    }
    return out;
  }

  async #readListingBatch(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]> {
    const keys = refs.map(keyOf);
    // One primary-key lookup per ref: a join lets the planner hash the whole table for every
    // batch, which costs a listing of 10,000 runs more than the rows it returns. (LIMIT 1, a
    // no-op on a primary key, keeps the planner from flattening the LATERAL into that join.)
    // json_build_array copies a json argument (the projection) into its text as it is stored.
    // Batches asked for together (a listing reading ahead) share one connection (laneQuery):
    // the pool opens no backend per batch.
    const result = await this.#db.laneQuery<{ entries: string | null }>(
      `reading ${refs.length} summaries`,
      `SELECT '[' || string_agg(coalesce(b.entry, 'null'), ',' ORDER BY k.n) || ']' AS entries
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(run_name, process_name, worker, n)
       LEFT JOIN LATERAL (SELECT json_build_array(s.size_bytes,
           date_part('epoch', s.written_at), s.written_epoch, s.has_history,
           s.body IS NOT NULL AND s.size_bytes <= $4,
           CASE WHEN s.body IS NOT NULL AND s.size_bytes <= $4 AND s.listing_fields = $5
             AND pg_column_size(s.listing) <= $6 THEN s.listing END)::text AS entry
         FROM ${this.#q}.summaries s
         WHERE s.run_name = k.run_name AND s.process_name = k.process_name AND s.worker = k.worker
         LIMIT 1) b ON true`,
      [...keyArrays(keys), this.#options.maxSummaryBytes, LISTING_FORMAT_ID, MAX_LISTED_BYTES],
      `process-summary:${this.#s}:read:listing-entries`,
    );
    let entries: unknown;
    try {
      entries = JSON.parse(result.rows[0]?.entries ?? '');
    } catch {}
    if (!Array.isArray(entries) || entries.length !== refs.length) {
      // Not the answer this query gives (it cannot happen): read every summary whole instead.
      return this.#readWholeListings(refs);
    }
    const out: (ReadResult | null)[] = new Array(refs.length).fill(null);
    const whole: number[] = [];
    // An indexed loop: most of a listing's rows go through here before V8 optimizes anything.
    for (let i = 0; i < refs.length; i++) {
      const entry = entries[i] as ListingEntry;
      if (entry === null) continue;
      const writtenAt = entry[1];
      const row: BodyRow = {
        body: null,
        size_bytes: entry[0],
        written_at: typeof writtenAt === 'string' ? Number(writtenAt) : writtenAt,
        written_epoch: entry[2],
        has_history: entry[3],
      };
      if (entry[4] !== true) {
        // No body, or one over maxSummaryBytes: what `read` reports for it.
        out[i] = this.#readResult(keys[i] as Key, row, false);
        continue;
      }
      const projection = entry[5] === null ? undefined : listingOfStored(entry[5]);
      if (projection === undefined) whole.push(i);
      else out[i] = this.#readResult(keys[i] as Key, row, false, projection);
    }
    if (whole.length > 0) {
      const reads = await this.#readWholeListings(whole.map((i) => refs[i] as SummaryRef));
      for (let w = 0; w < whole.length; w++) out[whole[w] as number] = reads[w] ?? null;
    }
    return out;
  }

  /** `readMany` with `full: false` of `refs`, each dict cut as a writer cuts its projection. */
  async #readWholeListings(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]> {
    const reads = await this.#readBatch('readListing', refs, false);
    for (const read of reads) {
      if (read?.dict != null) read.dict = listingOf(read.dict) as ReadResult['dict'];
    }
    return reads;
  }

  async #readBatch(
    method: string,
    refs: readonly SummaryRef[],
    full: boolean,
  ): Promise<(ReadResult | null)[]> {
    this.#open();
    if (!Array.isArray(refs))
      throw codedTypeError('E_INVALID_ARGUMENT', `${method}: refs must be an array`);
    for (const ref of refs) assertValidRef(ref);
    if (refs.length === 0) return [];
    await this.ready();
    const keys = refs.map(keyOf);
    // One primary-key lookup per ref (see #readListingBatch).
    const result = await this.#db.query<BodyRow & { n: string }>(
      `reading ${refs.length} summaries`,
      `SELECT k.n, b.* FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(run_name, process_name, worker, n)
       CROSS JOIN LATERAL (SELECT ${this.#bodyColumns()} FROM ${this.#q}.summaries s
         WHERE s.run_name = k.run_name AND s.process_name = k.process_name AND s.worker = k.worker LIMIT 1) b`,
      [...keyArrays(keys), this.#options.maxSummaryBytes],
      `process-summary:${this.#s}:read:whole`,
    );
    const out: (ReadResult | null)[] = new Array(refs.length).fill(null);
    for (const row of result.rows) {
      const index = Number(row.n) - 1;
      out[index] = this.#readResult(keys[index] as Key, row, full);
    }
    return out;
  }

  /**
   * `list` and `readListing` in one pass (see {@link SummaryStore.scanListings}): the rows in key
   * order, {@link SCAN_PAGE} at a time, each page one query that walks the primary key on from
   * the last key of the page before (no offset to skip, no key looked up one by one) and answers
   * one text embedding each row's stored projection, as `readListing` does. The next page is
   * asked for as soon as a page is answered, before its entries are parsed: the server reads it
   * while this process makes that page's results. Each page is a snapshot of its own.
   */
  scanListings(options: ListOptions = {}): AsyncIterable<ListingPage> {
    this.#open();
    assertListOptions('scanListings', options);
    return this.#scan(options.runName);
  }

  async *#scan(runName: string | undefined): AsyncIterable<ListingPage> {
    await this.ready();
    let asking: Promise<ScanAnswer> | null = this.#scanPage(runName, null);
    while (asking !== null) {
      const answer: ScanAnswer = await asking;
      asking =
        answer.n === SCAN_PAGE && answer.last !== null
          ? this.#scanPage(runName, answer.last)
          : null;
      // A page asked for ahead fails when it is awaited; a consumer that stopped early never
      // awaits it, and that must not count as unhandled.
      asking?.catch(() => {});
      yield { listed: await this.#listedOf(answer), problems: [] };
    }
  }

  async #scanPage(runName: string | undefined, after: Key | null): Promise<ScanAnswer> {
    const values: unknown[] = [this.#options.maxSummaryBytes, LISTING_FORMAT_ID, MAX_LISTED_BYTES];
    const where = ['(s.body IS NOT NULL OR s.has_history)'];
    if (runName !== undefined) {
      values.push(runName);
      where.push(`s.run_name = $${values.length}`);
    }
    if (after !== null) {
      values.push(...after);
      const n = values.length;
      where.push(`(s.run_name, s.process_name, s.worker) > ($${n - 2}, $${n - 1}, $${n})`);
    }
    const name = `process-summary:${this.#s}:scan:${runName === undefined ? 'all' : 'run'}:${after === null ? 'first' : 'next'}`;
    // A projection this reader can take: within maxSummaryBytes, its field list, not too big.
    const usable =
      's.size_bytes <= $1 AND s.listing_fields = $2 AND pg_column_size(s.listing) <= $3';
    const result = await this.#db.laneQuery<{
      entries: string | null;
      n: string;
      last: Key | null;
    }>(
      'scanning summaries',
      `SELECT '[' || string_agg(p.entry, ',') || ']' AS entries, count(*) AS n, max(p.k) AS last
       FROM (SELECT CASE WHEN s.listing_entry IS NOT NULL AND ${usable}
           THEN '[' || s.has_history || ',' || s.listing_entry || ']'
           ELSE json_build_array(s.has_history, s.run_name, s.process_name, s.worker,
             s.size_bytes, date_part('epoch', s.written_at), s.written_epoch,
             CASE WHEN s.body IS NOT NULL AND ${usable} THEN s.listing END,
             s.body IS NOT NULL, s.body IS NOT NULL AND s.size_bytes <= $1)::text END AS entry,
           ARRAY[s.run_name, s.process_name, s.worker] AS k
         FROM ${this.#q}.summaries s
         WHERE ${where.join(' AND ')}
         ORDER BY s.run_name, s.process_name, s.worker
         LIMIT ${SCAN_PAGE}) p`,
      values,
      name,
    );
    const row = result.rows[0];
    return { entries: row?.entries ?? null, n: Number(row?.n ?? 0), last: row?.last ?? null };
  }

  /** The listed summaries of one page's answer, each with its listing projection. */
  async #listedOf(answer: ScanAnswer): Promise<ListedListing[]> {
    if (answer.n === 0) return [];
    const entries = JSON.parse(answer.entries ?? '[]') as ScanEntry[];
    const listed: ListedListing[] = new Array(entries.length);
    const whole: number[] = [];
    // An indexed loop: most of a listing's rows go through here before V8 optimizes anything.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as ScanEntry;
      const key: Key = [entry[1], entry[2], entry[3]];
      const ref = publicRef(key);
      const writtenAt = typeof entry[5] === 'string' ? Number(entry[5]) : entry[5];
      const hasBody = entry[8] ?? true;
      const summary: ListedSummary = {
        runName: ref.runName,
        processName: ref.processName,
        worker: ref.worker,
        location: this.#locationOf(ref),
        writtenAt,
        hasSummary: hasBody,
      };
      const item: ListedListing = { summary, read: null };
      listed[i] = item;
      if (!hasBody) continue;
      const row: BodyRow = {
        body: null,
        size_bytes: entry[4],
        written_at: writtenAt,
        written_epoch: entry[6],
        has_history: entry[0],
      };
      if ((entry[9] ?? true) !== true) {
        item.read = this.#readResult(key, row, false);
        continue;
      }
      const projection = entry[7] === null ? undefined : listingOfStored(entry[7]);
      if (projection === undefined) whole.push(i);
      else item.read = this.#readResult(key, row, false, projection);
    }
    if (whole.length > 0) {
      const reads = await this.#readWholeListings(
        whole.map((i) => (listed[i] as ListedListing).summary),
      );
      for (let w = 0; w < whole.length; w++) {
        (listed[whole[w] as number] as ListedListing).read = reads[w] ?? null;
      }
    }
    return listed;
  }

  async list(options: ListOptions = {}): Promise<Listing> {
    this.#open();
    assertListOptions('list', options);
    await this.ready();
    const byRun = options.runName === undefined ? '' : 'AND s.run_name = $1';
    const result = await this.#db.query<{
      run_name: string;
      process_name: string;
      worker: string;
      written_at: number | null;
      has_summary: boolean;
    }>(
      'listing summaries',
      `SELECT s.run_name, s.process_name, s.worker,
         date_part('epoch', s.written_at) AS written_at, s.body IS NOT NULL AS has_summary
       FROM ${this.#q}.summaries s
       WHERE (s.body IS NOT NULL OR s.has_history) ${byRun}`,
      options.runName === undefined ? [] : [options.runName],
    );
    const summaries: ListedSummary[] = result.rows.map((row) => {
      const ref = publicRef([row.run_name, row.process_name, row.worker]);
      return {
        runName: ref.runName,
        processName: ref.processName,
        worker: ref.worker,
        location: this.#locationOf(ref),
        writtenAt: row.written_at,
        hasSummary: row.has_summary,
      };
    });
    return { summaries: summaries.sort(compareRefs), problems: [] };
  }

  async *events(ref: SummaryRef, options: EventsOptions = {}): AsyncIterable<JournalRecord> {
    this.#open();
    assertValidRef(ref);
    let after = cursorSeq(options.after);
    await this.ready();
    const key = keyOf(ref);
    const end = await this.#db.query<{ last: string | null }>(
      `reading the journal of ${refName(ref)}`,
      `SELECT max(seq) AS last FROM ${this.#q}.journal
       WHERE run_name = $1 AND process_name = $2 AND worker = $3`,
      key,
    );
    // The journal as it is now: the stream ends at the current end.
    const last = Number(end.rows[0]?.last ?? 0);
    while (after < last) {
      if (options.signal?.aborted) return;
      const page = await this.#db.query<{ seq: string; event: string }>(
        `reading the journal of ${refName(ref)}`,
        `SELECT seq, event::text AS event FROM ${this.#q}.journal
         WHERE run_name = $1 AND process_name = $2 AND worker = $3 AND seq > $4 AND seq <= $5
         ORDER BY seq LIMIT ${EVENTS_PAGE}`,
        [...key, after, last],
      );
      if (page.rows.length === 0) return;
      for (const row of page.rows) {
        if (options.signal?.aborted) return;
        after = Number(row.seq);
        yield journalRecord(row.seq, row.event);
      }
    }
  }

  watch(options: WatchOptions = {}): AsyncIterable<SummaryRef> {
    this.#open();
    if (typeof options !== 'object' || options === null) {
      throw codedTypeError('E_INVALID_ARGUMENT', 'watch: options must be an object');
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw codedTypeError('E_INVALID_ARGUMENT', 'watch: signal must be an AbortSignal');
    }
    const interval = options.intervalMs;
    if (
      interval !== undefined &&
      (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1)
    ) {
      throw codedRangeError(
        'E_INVALID_ARGUMENT',
        `watch: intervalMs must be a finite number >= 1, got ${String(interval)}`,
      );
    }
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#closing.signal])
      : this.#closing.signal;
    return watchChanges({
      db: this.#db,
      schema: this.#q,
      channel: this.#channel,
      ready: () => this.ready(),
      signal,
      logger: this.#options.logger,
      retryMs: options.intervalMs ?? 1000,
      track: (ending) => {
        this.#watchEndings.add(ending);
        const settle = () => this.#watchEndings.delete(ending);
        ending.then(settle, settle);
      },
    });
  }

  async ownerStatus(ref: SummaryRef, options: OwnershipOptions = {}): Promise<OwnerStatus> {
    this.#open();
    assertValidRef(ref);
    const threshold = positive(
      'staleAfterSeconds',
      options.staleAfterSeconds,
      this.#options.staleAfterSeconds,
    );
    await this.ready();
    const row = await this.#ownerRow(keyOf(ref));
    return row === undefined ? { ...NO_OWNER } : judge(row, threshold);
  }

  // ---- consumer state: rows of their own table, never a summary -------------------------

  /**
   * The consumer's document `key` (see {@link SummaryStore.readState}): a row of
   * `{schema}.consumer_state`, never listed, never notified to `watch`.
   */
  async readState(key: string): Promise<StateDocument | null> {
    this.#open();
    assertValidStateKey(key);
    await this.ready();
    const result = await this.#db.query<{ value: JsonValue; version: string }>(
      `reading state ${key}`,
      `SELECT value, version FROM ${this.#q}.consumer_state WHERE key = $1`,
      [key],
      'process-summary-read-state',
    );
    const row = result.rows[0];
    return row === undefined ? null : { value: row.value, version: Number(row.version) };
  }

  /**
   * Compare-and-swap of the document `key` (see {@link SummaryStore.writeState}) in one
   * statement: an insert that does nothing when the row exists (`expectedVersion` null), or an
   * update only where the version is still the one expected. No row changed is `E_CONFLICT`.
   * After `E_STORE_UNAVAILABLE` the write may have committed (the answer was lost): read again.
   */
  async writeState(key: string, value: JsonValue, expectedVersion: number | null): Promise<number> {
    this.#open();
    const text = encodeStateWrite(key, value, expectedVersion);
    await this.ready();
    const doing = `writing state ${key}`;
    const result =
      expectedVersion === null
        ? await this.#db.query<{ version: string }>(
            doing,
            `INSERT INTO ${this.#q}.consumer_state (key, value, version, updated_at)
             VALUES ($1, $2::json, 1, now()) ON CONFLICT (key) DO NOTHING RETURNING version`,
            [key, text],
            'process-summary-create-state',
          )
        : await this.#db.query<{ version: string }>(
            doing,
            `UPDATE ${this.#q}.consumer_state SET value = $2::json, version = version + 1, updated_at = now()
             WHERE key = $1 AND version = $3 RETURNING version`,
            [key, text, expectedVersion],
            'process-summary-update-state',
          );
    const written = result.rows[0];
    if (written !== undefined) return Number(written.version);
    // Only for the message: the row may have moved on again since.
    const found = await this.#db.query<{ version: string }>(
      doing,
      `SELECT version FROM ${this.#q}.consumer_state WHERE key = $1`,
      [key],
    );
    const current = found.rows[0];
    throw stateConflict(
      key,
      expectedVersion,
      current === undefined ? null : Number(current.version),
    );
  }

  // ---- internals --------------------------------------------------------------------------

  async #write(summary: ProcessSummary, lease: Lease | undefined): Promise<void> {
    await this.ready();
    const key = keyOf(summaryRef(summary));
    const known = knownKey(key, lease);
    // Serialized at once, custom metrics unchanged: no deep copy of them.
    const dict = summaryDictToWrite(summary);
    if (lease !== undefined) dict.owner_epoch = lease.epoch;
    const body = JSON.stringify(dict);
    const listing = encodeListing(dict as unknown as Record<string, unknown>);
    const unsure = this.#unsure.get(summary);
    const taken = summary.takeEvents();
    // A write whose answer was lost is first assumed not to have committed: this write carries
    // its events and expects the row as it was before it. Either this write lands (and the
    // unsure one, expecting that same row, never can), or the row shows it did commit.
    let events = unsure === undefined ? taken : [...unsure.events, ...taken];
    let prev = unsure === undefined ? this.#known.get(known) : unsure.before;
    const writeId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      let outcome: 'saved' | 'refused';
      try {
        outcome = (await this.#upsert(key, body, listing, events, lease, writeId, prev))
          ? 'saved'
          : 'refused';
      } catch (err) {
        if (isUnavailable((err as { cause?: unknown }).cause ?? err)) {
          // Committed or not, nobody can say until the server answers again: the events wait
          // here, not in the summary, with the row this write expected.
          this.#unsure.set(summary, { writeId, events, before: prev });
        } else {
          this.#unsure.delete(summary);
          summary.restoreEvents(events);
        }
        throw err;
      }
      if (outcome === 'saved') {
        this.#unsure.delete(summary);
        this.#known.set(known, writeId);
        return;
      }
      const row = await this.#ownerRow(key);
      const fenced =
        lease !== undefined
          ? row !== undefined && row.owner_epoch !== null && Number(row.owner_epoch) === lease.epoch
          : row !== undefined && judge(row, this.#options.staleAfterSeconds).state !== 'alive';
      if (!fenced || row === undefined || attempt >= 3) {
        this.#unsure.delete(summary);
        summary.restoreEvents(events);
        const ref = publicRef(key);
        if (lease !== undefined) throw leaseLost(ref, lease.epoch, row);
        const status = judge(row, this.#options.staleAfterSeconds);
        throw concurrentRun(
          ref,
          status.owner ?? { host: '?', pid: 0, epoch: 0, since: 0, heartbeat: 0 },
        );
      }
      // Allowed to write, but the row is not the one expected: the unsure write committed
      // (its events are in), or another object saved under this lease (the last write wins).
      if (unsure !== undefined && row.last_write_id === unsure.writeId) events = taken;
      prev = row.last_write_id;
      if (lease === undefined) this.#deadOwner.set(known, row.owner_epoch);
    }
  }

  /**
   * One statement, so one transaction: the summary row (fenced by the lease's epoch, or, for an
   * unowned write, by the absence of a live lease), the journal lines, the notification. A
   * stale epoch matches no row and nothing is written. With `prev` (not `undefined`), the row
   * must also hold that write id: a write sent before a lost answer can never land after the
   * write that followed it. `listing` is the body's listing projection, stored beside it with
   * the digest of the body it was cut from (the table's trigger drops a projection whose
   * digest does not match).
   */
  async #upsert(
    key: Key,
    body: string,
    listing: string,
    events: SummaryEvent[],
    lease: Lease | undefined,
    writeId: string,
    prev: string | null | undefined,
  ): Promise<boolean> {
    const s = this.#q;
    const size = Buffer.byteLength(body);
    const values: unknown[] = [
      ...key,
      body,
      size,
      events.length === 0 ? '[]' : JSON.stringify(events),
      this.#channel,
      JSON.stringify(key),
      writeId,
      prev !== undefined,
      prev ?? null,
      listing,
      createHash('sha256').update(body).digest(),
      LISTING_FORMAT_ID,
      events.length > 0,
    ];
    // $1-3 key, $4 body, $5 size, $6 events, $7 channel, $8 payload, $9 write id,
    // $10 whether to expect $11 as the row's last write id, $12 listing, $13 its body's digest,
    // $14 its field list, $15 whether there are events to append, $16 epoch or stale seconds.
    // has_history is set here when lines are appended: the journal's trigger (which keeps it
    // whoever writes, see migrations.ts) then finds the row flagged and writes nothing more.
    const expected = '($10::boolean IS NOT TRUE OR s.last_write_id IS NOT DISTINCT FROM $11::text)';
    let saved: string;
    if (lease === undefined) {
      // $17: an owner this store found provably gone at a refused attempt.
      values.push(
        this.#options.staleAfterSeconds,
        this.#deadOwner.get(knownKey(key, lease)) ?? null,
      );
      saved = `INSERT INTO ${s}.summaries AS s (run_name, process_name, worker, body, size_bytes,
          written_at, written_epoch, last_write_id, listing, listing_digest, listing_fields,
          has_history)
        VALUES ($1, $2, $3, $4::json, $5, now(), NULL, $9, $12::json, $13::bytea, $14::text,
          $15::boolean)
        ON CONFLICT (run_name, process_name, worker) DO UPDATE SET body = EXCLUDED.body,
          size_bytes = EXCLUDED.size_bytes, written_at = now(), written_epoch = NULL,
          change_xid = pg_current_xact_id(), last_write_id = EXCLUDED.last_write_id,
          listing = EXCLUDED.listing, listing_digest = EXCLUDED.listing_digest,
          listing_fields = EXCLUDED.listing_fields, has_history = s.has_history OR $15::boolean
        WHERE (s.owner_epoch IS NULL OR s.owner_heartbeat < now() - make_interval(secs => $16)
          OR s.owner_epoch = $17::bigint) AND ${expected}
        RETURNING 1`;
    } else {
      values.push(lease.epoch);
      saved = `UPDATE ${s}.summaries s SET body = $4::json, size_bytes = $5, written_at = now(),
          written_epoch = $16, change_xid = pg_current_xact_id(), last_write_id = $9,
          listing = $12::json, listing_digest = $13::bytea, listing_fields = $14::text,
          has_history = s.has_history OR $15::boolean
        WHERE run_name = $1 AND process_name = $2 AND worker = $3 AND owner_epoch = $16
          AND ${expected}
        RETURNING 1`;
    }
    const sql = `WITH saved AS (${saved}),
      appended AS (
        INSERT INTO ${s}.journal (run_name, process_name, worker, event)
        SELECT $1, $2, $3, e.event FROM json_array_elements($6::json) WITH ORDINALITY AS e(event, n)
        WHERE EXISTS (SELECT 1 FROM saved) ORDER BY e.n
        RETURNING 1)
      SELECT EXISTS (SELECT 1 FROM saved) AS saved, (SELECT count(*) FROM appended) AS appended,
        CASE WHEN EXISTS (SELECT 1 FROM saved) AND ${this.#listening()}
          THEN pg_notify($7, $8) END AS notified`;
    const result = await this.#db.query<{ saved: boolean }>(
      `saving ${refName(publicRef(key))}`,
      sql,
      values,
      `process-summary:${this.#s}:save:${lease === undefined ? 'unowned' : 'owned'}`,
    );
    return result.rows[0]?.saved === true;
  }

  /**
   * Whether a watcher is registered (see watch.ts): only then does a write NOTIFY, since a
   * NOTIFY makes PostgreSQL commit notifying transactions one at a time.
   */
  #listening(): string {
    return `EXISTS (SELECT 1 FROM ${this.#q}.listeners WHERE seen_at > now() - interval '${LISTENER_TTL_SECONDS} seconds')`;
  }

  /**
   * `work` in one transaction, on the row of `ref` locked for a write by `lease` (its epoch must
   * be current: `E_LEASE_LOST`) or by no one (no live owner may hold it: `E_CONCURRENT_RUN`).
   * `row` is `undefined` when there is none (nothing to do for an unowned caller).
   */
  async #fencedTransaction<T>(
    doing: string,
    ref: SummaryRef,
    lease: Lease | undefined,
    work: (tx: Tx, key: Key, row: LockedRow | undefined) => Promise<T>,
  ): Promise<T> {
    this.#open();
    assertValidRef(ref);
    if (lease !== undefined) checkLeaseFor(lease, ref);
    await this.ready();
    const key = keyOf(ref);
    return this.#db.transaction(`${doing} ${refName(ref)}`, async (tx) => {
      const row = await this.#lockRow(tx, key);
      if (lease !== undefined) {
        if (row?.owner_epoch == null || Number(row.owner_epoch) !== lease.epoch) {
          throw leaseLost(ref, lease.epoch, row);
        }
      } else if (row !== undefined) {
        const status = judge(row, this.#options.staleAfterSeconds);
        if (status.state === 'alive' && status.owner !== null) {
          throw concurrentRun(ref, status.owner);
        }
      }
      return work(tx, key, row);
    });
  }

  /** The row of `key` as writers judge it, locked for this transaction. */
  async #lockRow(tx: Tx, key: Key): Promise<LockedRow | undefined> {
    const result = await tx.query<LockedRow>(
      `SELECT ${LOCKED_COLUMNS} FROM ${this.#q}.summaries
       WHERE run_name = $1 AND process_name = $2 AND worker = $3 FOR UPDATE`,
      key,
    );
    return result.rows[0];
  }

  /** The row of `key` as writers judge it, unlocked (after a refused write, for ownerStatus). */
  async #ownerRow(key: Key): Promise<LockedRow | undefined> {
    const result = await this.#db.query<LockedRow>(
      `reading the owner of ${refName(publicRef(key))}`,
      `SELECT ${LOCKED_COLUMNS} FROM ${this.#q}.summaries
       WHERE run_name = $1 AND process_name = $2 AND worker = $3`,
      key,
    );
    return result.rows[0];
  }

  /**
   * What a reader needs of a row `s` (a {@link BodyRow}); `$4` is the size past which the body
   * is not fetched. (date_part gives the float8 that extract(epoch …)::float8 gives, without
   * going through numeric; has_history is kept by the journal's triggers, see migrations.ts.)
   */
  #bodyColumns(): string {
    return `CASE WHEN s.size_bytes <= $4 THEN s.body::text END AS body, s.size_bytes,
      date_part('epoch', s.written_at) AS written_at, s.written_epoch, s.has_history`;
  }

  async #bodyRow(key: Key, doing: string): Promise<BodyRow | undefined> {
    const result = await this.#db.query<BodyRow>(
      doing,
      `SELECT ${this.#bodyColumns()} FROM ${this.#q}.summaries s
       WHERE s.run_name = $1 AND s.process_name = $2 AND s.worker = $3`,
      [...key, this.#options.maxSummaryBytes],
    );
    return result.rows[0];
  }

  async #clearBody(tx: Tx, key: Key): Promise<void> {
    await tx.query(
      `UPDATE ${this.#q}.summaries SET body = NULL, size_bytes = NULL, written_at = NULL,
         written_epoch = NULL, listing = NULL, listing_digest = NULL, listing_fields = NULL,
         change_xid = pg_current_xact_id()
       WHERE run_name = $1 AND process_name = $2 AND worker = $3`,
      key,
    );
  }

  async #notify(tx: Tx, key: Key): Promise<void> {
    await tx.query(`SELECT pg_notify($1, $2) WHERE ${this.#listening()}`, [
      this.#channel,
      JSON.stringify(key),
    ]);
  }

  /** Keeps a copy of a body in the archive table; `undo` removes the copy again. */
  async #setAsideCopy(key: Key, reason: string, body: string) {
    const result = await this.#db.query<{ id: string }>(
      `setting ${refName(publicRef(key))} aside`,
      `INSERT INTO ${this.#q}.archive (run_name, process_name, worker, reason, body)
       VALUES ($1, $2, $3, $4, $5::json) RETURNING id`,
      [...key, reason, body],
    );
    const id = (result.rows[0] as { id: string }).id;
    return {
      location: `${this.#s}.archive#${id}`,
      undo: async () => {
        await this.#db.query(
          'undoing a set-aside',
          `DELETE FROM ${this.#q}.archive WHERE id = $1`,
          [id],
        );
      },
    };
  }

  async #rebuild(ref: SummaryRef, key: Key, options: LoadOptions): Promise<ProcessSummary> {
    const events: unknown[] = [];
    for await (const record of this.events(ref))
      if (record.event !== null) events.push(record.event);
    try {
      const replayed = replayEvents(key[0], key[1], events, {
        ...options,
        ...(key[2] === '' ? {} : { worker: key[2] }),
      } as Parameters<typeof replayEvents>[3]);
      return replayed.summary;
    } catch (err) {
      throw new ProcessSummaryError(
        'E_CORRUPT',
        `process-summary: ${this.#location(key)} cannot be rebuilt from its journal: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /**
   * `row` as `read` returns it. `decoded`, when given, stands for the body, already parsed (a
   * listing's projection, fetched instead of the body: `row.body` is then `null`).
   */
  #readResult(key: Key, row: BodyRow, full: boolean, decoded?: unknown): ReadResult | null {
    if (decoded === undefined && row.body === null && row.size_bytes === null && !row.has_history)
      return null;
    const ref = publicRef(key);
    const location = this.#locationOf(ref);
    const result: ReadResult = {
      ref,
      location,
      dict: null,
      problem: null,
      seedFormat: false,
      writtenAt: row.written_at,
      epoch: row.written_epoch === null ? null : Number(row.written_epoch),
      hasHistory: row.has_history,
      sizeBytes: row.size_bytes,
    };
    if (decoded === undefined && row.body === null && row.size_bytes !== null) {
      const reason = `is ${row.size_bytes} bytes, over the limit of ${this.#options.maxSummaryBytes} (maxSummaryBytes); not read`;
      result.problem = {
        code: 'E_TOO_LARGE',
        reason,
        message: `${location}: ${reason}`,
        issues: [],
      };
      return result;
    }
    if (decoded === undefined && row.body === null) {
      const reason = 'is missing (its journal remains)';
      result.problem = {
        code: 'E_NOT_FOUND',
        reason,
        message: `${location}: ${reason}`,
        issues: [],
      };
      return result;
    }
    const parsed =
      decoded === undefined ? parseBody(row.body as string, full) : checkBody(decoded, full);
    if ('problem' in parsed) {
      result.problem = { ...parsed.problem, message: `${location}: ${parsed.problem.reason}` };
      return result;
    }
    result.dict = parsed.dict as ReadResult['dict'];
    result.seedFormat = parsed.seedFormat;
    return result;
  }

  #location(key: Key): string {
    return this.#locationOf(publicRef(key));
  }

  #locationOf(ref: SummaryRef): string {
    return `${this.#q}.summaries:${refName(ref)}`;
  }
}

type BodyProblem = {
  code: 'E_INVALID_SUMMARY' | 'E_UNSUPPORTED_VERSION';
  reason: string;
  issues: { path: string; message: string }[];
};

function parseBody(
  body: string,
  full: boolean,
): { dict: unknown; seedFormat: boolean } | { problem: BodyProblem } {
  let dict: unknown;
  try {
    dict = JSON.parse(body);
  } catch (err) {
    return {
      problem: {
        code: 'E_INVALID_SUMMARY',
        reason: `is not valid JSON (${(err as Error).message})`,
        issues: [],
      },
    };
  }
  return checkBody(dict, full);
}

function checkBody(
  dict: unknown,
  full: boolean,
): { dict: unknown; seedFormat: boolean } | { problem: BodyProblem } {
  const check = full ? checkSummaryDict(dict) : checkListedFields(dict);
  if (check.valid) return { dict, seedFormat: check.seedFormat };
  const first = check.issues[0];
  const newer = first?.path === '/schema_version' && /newer/.test(first.message);
  return {
    problem: {
      code: newer ? 'E_UNSUPPORTED_VERSION' : 'E_INVALID_SUMMARY',
      reason: newer
        ? `was written by a newer version (${first?.message})`
        : `is not a valid summary (${first?.path || '/'}: ${first?.message})`,
      issues: check.issues.map((issue) => ({ path: issue.path, message: issue.message })),
    },
  };
}

function journalRecord(seq: string, text: string): JournalRecord {
  try {
    const event = JSON.parse(text) as unknown;
    if (
      typeof event === 'object' &&
      event !== null &&
      typeof (event as { type?: unknown }).type === 'string'
    ) {
      return { cursor: seq, event: event as SummaryEvent, problem: null };
    }
  } catch {}
  return {
    cursor: seq,
    event: null,
    problem: { message: `journal entry ${seq} is not an event`, line: text },
  };
}

/** The key columns of `keys` as three `text[]` literals: runs, processes, workers. */
function keyArrays(keys: readonly Key[]): [string, string, string] {
  const runs = new Array<string>(keys.length);
  const processes = new Array<string>(keys.length);
  const workers = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as Key;
    runs[i] = key[0];
    processes[i] = key[1];
    workers[i] = key[2];
  }
  return [textArray(runs), textArray(processes), textArray(workers)];
}

function keyOf(ref: SummaryRef): Key {
  return [ref.runName, ref.processName, ref.worker ?? ''];
}

function publicRef(key: Key): SummaryRef {
  return { runName: key[0], processName: key[1], worker: key[2] === '' ? null : key[2] };
}

function summaryRef(summary: ProcessSummary): SummaryRef {
  return { runName: summary.runName, processName: summary.processName, worker: summary.worker };
}

function leaseRef(lease: Lease): SummaryRef {
  if (typeof lease !== 'object' || lease === null || !Number.isSafeInteger(lease.epoch)) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'expected a lease returned by acquire');
  }
  assertValidRef(lease.ref);
  return lease.ref;
}

function checkLeaseFor(lease: Lease, ref: SummaryRef): void {
  const held = leaseRef(lease);
  if (!sameRef(held, ref)) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `the lease is for ${refName(held)}, not ${refName(ref)}`,
    );
  }
}

function cursorSeq(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor)) {
    throw codedTypeError('E_INVALID_ARGUMENT', `not a cursor of this store: ${String(cursor)}`);
  }
  return Number(cursor);
}

/** The key of what a store remembers per ref and lease (or unowned writes). */
function knownKey(key: Key, lease: Lease | undefined): string {
  return JSON.stringify([...key, lease?.epoch ?? null]);
}
