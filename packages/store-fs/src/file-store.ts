/**
 * `FileSummaryStore`: the {@link SummaryStore} on the local file system. The class holds the
 * options and validates arguments; each job lives in its own module:
 * - `layout.ts`: every path and file name;
 * - `load.ts`: the owner's load, with repair (quarantine, backup, journal);
 * - `writer.ts`: the coalescing save queue and the synchronous save;
 * - `remove.ts`: archive and remove;
 * - `reader.ts` (read, events, setAsideFiles), `listing.ts` (list), `watch.ts` (watch) and
 *   `dir-index.ts` (a run directory's files, cached per directory): the reader side, changing
 *   nothing;
 * - `owner.ts` and `fencing.ts`: the owner record behind acquire, renew, release and
 *   ownerStatus, and the fencing of every write;
 * - `state.ts`: consumer state (readState, writeState), apart from every summary.
 */
import {
  type Acquired,
  type AcquireOptions,
  type Clock,
  type EventsOptions,
  type FromDictOptions,
  type JournalRecord,
  type JsonValue,
  type Lease,
  type Listing,
  type ListOptions,
  type LoadOptions,
  type LoadResult,
  type OwnerStatus,
  type OwnershipOptions,
  type ProcessSummary,
  type ReadOptions,
  type ReadResult,
  type StateDocument,
  type SummaryRef,
  type SummaryStore,
  systemClock,
  type WatchOptions,
} from '@process-summary/core';
import { storeError } from './errors.js';
import { Ownership } from './fencing.js';
import { type FileSystem, nodeFileSystem } from './fs-seam.js';
import { DEFAULT_MAX_FILE_BYTES } from './inspect.js';
import {
  type JournalEntry,
  JournalWriter,
  type ReadJournalOptions,
  readJournal,
} from './journal.js';
import { readPathsFor, type SummaryPaths, summaryPathsFor } from './layout.js';
import { listSummaries } from './listing.js';
import { loadWithRepair } from './load.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  journalRecords,
  type OddFile,
  oddFilesOf,
  type ReaderContext,
  readListings,
  readSummary,
  type SetAsideFile,
  setAsideFiles,
} from './reader.js';
import { archiveSummary, removeSummary } from './remove.js';
import { StateFiles } from './state.js';
import { watchSummaries } from './watch.js';
import { SummaryWriter } from './writer.js';

export { DEFAULT_MAX_FILE_BYTES };

/** Options of `new FileSummaryStore(…)`; every one optional. */
export interface FileSummaryStoreOptions {
  /** The directory holding one directory per run. Default `runs` (relative to the working directory). */
  root?: string;
  /** Where warnings (a quarantined file, a dropped torn journal line) and debug lines go. Default: stderr for warnings and errors. */
  logger?: Logger;
  /** The file-system calls, for fault-injection tests. Default: `node:fs/promises`. */
  fs?: FileSystem;
  /**
   * A summary file larger than this is not read (it is quarantined as oversized), and a save
   * that would write one is refused with `E_TOO_LARGE`. Default 64 MiB.
   */
  maxFileBytes?: number;
  /** Options (clock, limits, threshold) given to every loaded summary unless `load` is given its own. */
  summaryOptions?: FromDictOptions;
  /**
   * The wall clock that stamps owner records and heartbeats, and judges their age. Default:
   * the system clock (tests pass a manual one).
   */
  clock?: Clock;
}

const PATH_CACHE_SIZE = 10_000;

/**
 * A {@link SummaryStore} on the local file system:
 * `{root}/{run}/process_summary_{process}[@{worker}].json`, with the previous good version
 * beside it (`….json.bak`) and the append-only event journal (`….events.jsonl`); see
 * `docs/file-format.md` for every file.
 *
 * Saves are atomic and durable (temp file, fsync, rename, directory fsync) and coalesce:
 * any number of concurrent `save` calls for one summary make at most one write in flight and
 * one pending. A corrupt file is moved aside (`….corrupt-<timestamp>`) and the backup used.
 */
export class FileSummaryStore implements SummaryStore {
  readonly #root: string;
  readonly #fs: FileSystem;
  readonly #logger: Logger;
  readonly #maxFileBytes: number;
  readonly #summaryOptions: FromDictOptions | undefined;
  readonly #writer: SummaryWriter;
  readonly #reader: ReaderContext;
  readonly #ownership: Ownership;
  readonly #pathCache = new Map<string, SummaryPaths>();
  readonly #state: StateFiles;

  constructor(options: FileSummaryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw storeError('E_INVALID_ARGUMENT', 'FileSummaryStore options must be an object');
    }
    const root = options.root ?? 'runs';
    if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) {
      throw storeError('E_INVALID_ARGUMENT', 'root must be a non-empty path without NUL');
    }
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes <= 0) {
      throw storeError(
        'E_INVALID_ARGUMENT',
        `maxFileBytes must be a positive integer, got ${String(maxFileBytes)}`,
      );
    }
    this.#root = root;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#logger = options.logger ?? defaultLogger;
    this.#maxFileBytes = maxFileBytes;
    this.#summaryOptions = options.summaryOptions;
    this.#writer = new SummaryWriter({
      fs: this.#fs,
      logger: this.#logger,
      maxFileBytes,
      summaryOptions: this.#summaryOptions,
      journal: new JournalWriter(this.#fs, this.#logger),
    });
    this.#reader = { root, fs: this.#fs, maxFileBytes };
    const clock = options.clock ?? systemClock;
    if (typeof clock?.now !== 'function') {
      throw storeError('E_INVALID_ARGUMENT', 'clock must be an object with a now() method');
    }
    this.#ownership = new Ownership(this.#fs, this.#logger, () => clock.now());
    this.#state = new StateFiles(this.#fs, root, this.#logger);
  }

  /** The root directory, as given. */
  get root(): string {
    return this.#root;
  }

  /**
   * The summary file of (run, process, worker):
   * `{root}/{run}/process_summary_{process}[@{worker}].json`. Throws `E_INVALID_NAME` for a
   * name that could escape the root.
   */
  pathFor(runName: string, processName: string, worker?: string | null): string {
    return this.#paths({ runName, processName, worker }).summary;
  }

  /** The previous good version kept beside the summary: `….json.bak`. */
  backupPathFor(runName: string, processName: string, worker?: string | null): string {
    return this.#paths({ runName, processName, worker }).backup;
  }

  /** The event journal: `{root}/{run}/process_summary_{process}[@{worker}].events.jsonl`. */
  journalPathFor(runName: string, processName: string, worker?: string | null): string {
    return this.#paths({ runName, processName, worker }).journal;
  }

  /** Every file of `ref` (summary, backup, journal, owner record); validates the names. */
  pathsFor(ref: SummaryRef): SummaryPaths {
    return this.#paths(ref);
  }

  // ---- owner side -------------------------------------------------------------------------

  /**
   * Takes ownership of `ref` with an owner record `….owner` naming this process (host, boot
   * id, pid namespace, pid, start time) and an epoch one above any seen for `ref`. A gone
   * owner is taken over (exactly one winner among concurrent takers) and reported in
   * `previous`: on this host and pid namespace an owner whose process is gone (or whose pid
   * now belongs to another process) at once, elsewhere one whose heartbeat is older than
   * `staleAfterSeconds` (default 300). Throws `E_CONCURRENT_RUN` naming a live owner. See
   * `fencing.ts` for the epoch copies a takeover of an owner not proven dead starts.
   */
  async acquire(ref: SummaryRef, options?: AcquireOptions): Promise<Acquired> {
    return this.#ownership.acquire(this.#paths(ref), options);
  }

  /** A heartbeat: moves the owner record's mtime to now. `E_LEASE_LOST` when no longer current. */
  async renew(lease: Lease): Promise<void> {
    return this.#ownership.renew(lease);
  }

  /**
   * Gives ownership up: the record stays, marked released (it keeps the epoch). A lease no
   * longer current is left alone. Saves with the lease are refused from the call on.
   */
  async release(lease: Lease): Promise<void> {
    return this.#ownership.release(lease);
  }

  /** {@link release}, synchronously, for `exit` handlers. */
  releaseSync(lease: Lease): void {
    this.#ownership.releaseSync(lease);
  }

  /**
   * The summary of `ref` with what was noticed on the way, or `null` when there never was one
   * (no summary and no history). A corrupt, empty, NUL-filled, truncated, schema-invalid or
   * oversized file is moved aside as `….corrupt-<timestamp>` and the backup is restored in its
   * place; with no usable backup the summary is rebuilt from the journal and written in place
   * (warnings `W_QUARANTINED`, `W_RESTORED_FROM_BACKUP`, `W_REBUILT_FROM_JOURNAL`, also logged).
   * Throws `E_CORRUPT` when history exists but nothing usable is left (quarantined copies, a
   * journal without a usable event; nothing deleted), `E_NAME_MISMATCH` for a valid file of another
   * run, process or worker, `E_UNSUPPORTED_VERSION` for a file of a newer version (left
   * alone), `E_IO` when the file cannot be read, `E_INVALID_NAME` for a bad name. Also takes
   * `(runName, processName, options?)`, the form of the seed's API. With `allOrNothing`
   * (the CLI's repair), a load that fails part-way puts back every file it moved or wrote
   * before it throws, and a successful one returns an `undo` doing the same.
   */
  load(ref: SummaryRef, options?: LoadOptions): Promise<LoadResult | null>;
  load(runName: string, processName: string, options?: LoadOptions): Promise<LoadResult | null>;
  async load(
    refOrRun: SummaryRef | string,
    processOrOptions?: string | LoadOptions,
    maybeOptions?: LoadOptions,
  ): Promise<LoadResult | null> {
    const [ref, given] =
      typeof refOrRun === 'string'
        ? [{ runName: refOrRun, processName: processOrOptions as string }, maybeOptions]
        : [refOrRun, processOrOptions as LoadOptions | undefined];
    const paths = this.#paths(ref);
    const { allOrNothing = false, ...options } = given ?? {};
    return loadWithRepair(
      {
        fs: this.#fs,
        logger: this.#logger,
        maxFileBytes: this.#maxFileBytes,
        writer: this.#writer,
      },
      paths,
      Object.keys(options).length === 0 ? this.#summaryOptions : options,
      allOrNothing,
    );
  }

  /**
   * Writes the summary's current state atomically and durably, after appending its pending
   * journal events (durable too). Concurrent calls coalesce: at most one write in flight and
   * one pending per summary file; each promise resolves after a write that holds the state
   * at its call. Rejects with `E_IO` (errno error as `cause`; the previous version intact,
   * the events given back to the summary), `E_TOO_LARGE`, or `E_INVALID_NAME`.
   */
  save(summary: ProcessSummary, lease?: Lease): Promise<void> {
    try {
      const paths = this.#pathsOfSummary(summary, 'save');
      return this.#writer.save(paths, summary, this.#ownership.fenceFor(paths, lease));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Saves synchronously, with the same protocol and guarantees as {@link save} (journal
   * append, temp file, fsync, rename, directory fsync), for `exit` handlers and signal
   * handlers, where an asynchronous save would never finish. Blocks the event loop for a few
   * milliseconds: use {@link save} everywhere else. A save in flight that serialized an older
   * state does not rename over this one. Uses `node:fs` directly, not the `fs` option.
   * Throws `E_IO` (the events given back), `E_TOO_LARGE`, `E_INVALID_NAME`.
   */
  saveSync(summary: ProcessSummary, lease?: Lease): void {
    const paths = this.#pathsOfSummary(summary, 'saveSync');
    this.#writer.saveSync(paths, summary, this.#ownership.fenceFor(paths, lease));
  }

  /**
   * Moves the summary of `ref` and its journal aside as `….archived-<timestamp>` (for a fresh
   * start of a run that exists) and deletes its backup, so nothing of the old run is mistaken
   * for the new one. Resolves the archived summary path, or `null` when there was no summary.
   * Also takes `(runName, processName)`.
   */
  archive(ref: SummaryRef, lease?: Lease): Promise<string | null>;
  archive(runName: string, processName: string): Promise<string | null>;
  async archive(refOrRun: SummaryRef | string, second?: Lease | string): Promise<string | null> {
    const ref =
      typeof refOrRun === 'string'
        ? { runName: refOrRun, processName: second as string }
        : refOrRun;
    const paths = this.#paths(ref);
    await this.#ownership.fenceFor(paths, asLease(second)).check();
    return archiveSummary({ fs: this.#fs, writer: this.#writer }, paths);
  }

  /**
   * Removes the summary of `ref`, its backup and its journal, after any save in flight for
   * it; quarantined `….corrupt-*` files are left for a person to look at. Resolves `true` if
   * there was a summary. Also takes `(runName, processName)`, the seed's `cleanup_summary`.
   */
  remove(ref: SummaryRef, lease?: Lease): Promise<boolean>;
  remove(runName: string, processName: string): Promise<boolean>;
  async remove(refOrRun: SummaryRef | string, second?: Lease | string): Promise<boolean> {
    const ref =
      typeof refOrRun === 'string'
        ? { runName: refOrRun, processName: second as string }
        : refOrRun;
    const paths = this.#paths(ref);
    await this.#ownership.fenceFor(paths, asLease(second)).check();
    return removeSummary({ fs: this.#fs, writer: this.#writer }, paths);
  }

  // ---- reader side: changes nothing -------------------------------------------------------

  /** See {@link SummaryStore.read}. */
  async read(ref: SummaryRef, options?: ReadOptions): Promise<ReadResult | null> {
    // Not remembered: a listing reads each of thousands of summaries once, and remembering
    // their paths only gives the garbage collector more to copy (the cache is for savers).
    return readSummary(this.#reader, this.#paths(ref, false), options);
  }

  /**
   * See {@link SummaryStore.readListing}: `read` with `full: false` of each ref, each dict cut
   * to the listing's fields, each run directory looked at once per call instead of once per
   * summary (see `readListings`). Every ref is checked before anything is read.
   */
  async readListing(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]> {
    if (!Array.isArray(refs)) {
      throw storeError('E_INVALID_ARGUMENT', 'readListing: refs must be an array');
    }
    return readListings(this.#reader, readPathsFor(this.#root, refs));
  }

  /** See {@link SummaryStore.list}. */
  async list(options?: ListOptions): Promise<Listing> {
    return listSummaries(this.#reader, options);
  }

  /** See {@link SummaryStore.events}. */
  events(ref: SummaryRef, options?: EventsOptions): AsyncIterable<JournalRecord> {
    return journalRecords(this.#reader, this.#paths(ref), options);
  }

  /**
   * Streams the journal of `ref`, oldest line first, in constant memory, as the journal
   * reader's entries (`event`, `corrupt`, `torn`, with byte offsets); see `readJournal`. An
   * absent journal yields nothing.
   */
  readJournal(
    ref: SummaryRef,
    options?: ReadJournalOptions,
  ): AsyncGenerator<JournalEntry, void, undefined> {
    return readJournal(this.#fs, this.#paths(ref).journal, options);
  }

  /**
   * The quarantined (`….corrupt-*`) and archived (`….archived-*`) copies of `ref`'s files,
   * sorted by name, with their sizes: what a person inspects before a repair. Changes nothing.
   */
  setAsideFiles(ref: SummaryRef): Promise<SetAsideFile[]> {
    return setAsideFiles(this.#reader, this.#paths(ref));
  }

  /**
   * The journal, backup or owner record of `ref` that is not a regular file (a FIFO, socket,
   * directory or symbolic link where a file belongs): looked at, never opened or followed, so
   * a reader reports it at once. Changes nothing.
   */
  oddFiles(ref: SummaryRef): Promise<OddFile[]> {
    return oddFilesOf(this.#reader.root, this.#paths(ref, false));
  }

  /** See {@link SummaryStore.watch}. */
  watch(options?: WatchOptions): AsyncIterable<SummaryRef> {
    return watchSummaries(this.#reader, options);
  }

  /**
   * Whether `ref` has a live owner: `none` (no record, or released), `alive`, `dead` (its
   * process gone on this host, the host rebooted, or its heartbeat older than
   * `staleAfterSeconds` elsewhere), `unknown` (an unreadable record).
   */
  async ownerStatus(ref: SummaryRef, options?: OwnershipOptions): Promise<OwnerStatus> {
    return this.#ownership.status(this.#paths(ref), options);
  }

  // ---- consumer state ----------------------------------------------------------------------

  /**
   * The consumer's document `key` (see {@link SummaryStore.readState}): a regular file
   * `{root}/.process-summary-state~{key with / as ~}.json`, never taken for a run or a summary.
   * Throws `E_CORRUPT` for a document that is not one (empty, torn, not JSON, another key's),
   * `E_UNREADABLE` for a link or FIFO in its place, `E_UNSUPPORTED_VERSION` for a newer
   * format, `E_IO` when it cannot be read.
   */
  readState(key: string): Promise<StateDocument | null> {
    return this.#state.read(key);
  }

  /**
   * Compare-and-swap of the document `key` (see {@link SummaryStore.writeState}), between
   * processes too: under a lock file, by a durable replace (temp file, fsync, rename, directory
   * fsync), so a crash leaves the old or the new version. Throws `E_CONFLICT` (another writer
   * got there first, nothing written), `E_TOO_LARGE`, `E_INVALID_ARGUMENT`, `E_CORRUPT` (the
   * current document is not one: nothing replaces it), `E_IO` (the old version intact).
   */
  writeState(key: string, value: JsonValue, expectedVersion: number | null): Promise<number> {
    return this.#state.write(key, value, expectedVersion);
  }

  // ---------------------------------------------------------------- internals

  #paths(ref: SummaryRef, remember = true): SummaryPaths {
    // Cached: a pipeline saving thousands of times must not re-validate and re-join each time.
    // NUL cannot be in a valid name, so the key is unambiguous; only validated names get in.
    const key =
      typeof ref === 'object' &&
      ref !== null &&
      typeof ref.runName === 'string' &&
      typeof ref.processName === 'string' &&
      (ref.worker == null || typeof ref.worker === 'string')
        ? `${ref.runName}\0${ref.processName}\0${ref.worker ?? ''}`
        : undefined;
    const cached = key === undefined ? undefined : this.#pathCache.get(key);
    if (cached !== undefined) return cached;
    const paths = summaryPathsFor(this.#root, ref);
    if (!remember) return paths;
    if (this.#pathCache.size >= PATH_CACHE_SIZE) this.#pathCache.clear();
    this.#pathCache.set(key as string, paths);
    return paths;
  }

  #pathsOfSummary(summary: ProcessSummary, method: string): SummaryPaths {
    if (!isSummaryLike(summary)) {
      throw storeError('E_INVALID_ARGUMENT', `${method} expects a ProcessSummary`);
    }
    return this.#paths({
      runName: summary.runName,
      processName: summary.processName,
      worker: summary.worker,
    });
  }
}

/** The lease argument of the two-form methods: a string there is the process name. */
function asLease(value: Lease | string | undefined): Lease | undefined {
  return typeof value === 'string' ? undefined : value;
}

function isSummaryLike(value: unknown): value is ProcessSummary {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<
    Record<'getSummaryDict' | 'takeEvents' | 'restoreEvents', unknown>
  >;
  return (
    typeof candidate.getSummaryDict === 'function' &&
    typeof candidate.takeEvents === 'function' &&
    typeof candidate.restoreEvents === 'function'
  );
}
