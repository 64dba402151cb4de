/**
 * The `SummaryStore` contract: what every store promises and every consumer (recovery, the
 * read side, the dashboard, the alerter) relies on, without knowing a store's layout.
 *
 * Two sides:
 * - the **owner** side (`acquire`, `renew`, `release`, `load`, `save`, `archive`, `remove`):
 *   one process at a time holds a {@link Lease} on a {@link SummaryRef}; writes carry it and
 *   are fenced by its `epoch`;
 * - the **reader** side (`read`, `list`, `events`, `watch`, `ownerStatus`): anyone, changing
 *   nothing.
 *
 * Implemented by `MemorySummaryStore` (here), `FileSummaryStore` (`@process-summary/store-fs`)
 * and `PgSummaryStore` (`@process-summary/store-pg`); one contract suite
 * (`tools/store-contract`) runs unchanged against each.
 */
import type { JsonValue } from './json.js';
import type { FromDictOptions, ProcessSummary } from './summary.js';
import type { SummaryDict, SummaryEvent, ValidatedDict } from './types.js';

/**
 * One summary a store holds: a process of a run, optionally one worker (shard) of it. Each
 * worker is its own summary with its own owner; the read side merges them.
 */
export interface SummaryRef {
  runName: string;
  processName: string;
  /** The worker (shard) of the process; absent or `null` for a process run as one. */
  worker?: string | null | undefined;
}

/** Something a store noticed while loading and acted on (a quarantined file, a fallback). */
export interface StoreWarning {
  code: string;
  message: string;
  /** The file concerned, when the store has files. */
  path?: string;
}

/** What `load` returns for a summary that exists. */
export interface LoadResult {
  summary: ProcessSummary;
  /** What the load repaired; a store logs each through its own logger, so callers do not again. */
  warnings: StoreWarning[];
  /**
   * With {@link LoadOptions.allOrNothing}, from a store whose load repaired something: puts
   * back every file the load moved or wrote, as it found them (for a caller whose next step,
   * saving the repaired summary, failed). Absent when the load changed nothing.
   */
  undo?: () => Promise<void>;
}

/** Options of `load`: the loaded summary's options, and how a repair may be left. */
export interface LoadOptions extends FromDictOptions {
  /**
   * All or nothing (a repair tool): a load that fails part-way, its coded refusals
   * (`E_CORRUPT`) included, first puts back what it moved or wrote; a load that succeeds
   * returns an `undo`. Without it a refusal leaves the unusable files set aside (the
   * pipeline's load: the error names where they went).
   */
  allOrNothing?: boolean;
}

/**
 * Who holds (or asks for) a lease. A store fills in what it can judge liveness by; fields it
 * does not use stay `null`.
 */
export interface OwnerIdentity {
  host: string;
  pid: number;
  /** The host's boot id (Linux `/proc/sys/kernel/random/boot_id`): a reboot changes it. */
  bootId?: string | null;
  /** The pid namespace (`/proc/self/ns/pid` inode): a pid means nothing outside it. */
  pidNamespace?: string | null;
  /** When the process started (field 22 of `/proc/<pid>/stat`): tells a reused pid apart. */
  pidStart?: string | null;
}

/** An owner as a store records it. */
export interface OwnerInfo extends OwnerIdentity {
  /** The fencing token of its lease. */
  epoch: number;
  /** When it took ownership, epoch seconds. */
  since: number;
  /** Its latest sign of life (acquire or renew), epoch seconds, by the store's clock. */
  heartbeat: number;
}

/**
 * Ownership of one summary, returned by `acquire`. Pass it to every write. Its `epoch` is a
 * fencing token: it grows with every change of owner, and a write carrying an epoch that is
 * no longer current is refused with `E_LEASE_LOST`, whatever the timing.
 */
export interface Lease {
  readonly ref: SummaryRef;
  readonly epoch: number;
  readonly owner: OwnerIdentity;
  /** When ownership was taken, epoch seconds. */
  readonly since: number;
}

/** Why a previous owner was judged gone when its lease was taken over. */
export type OwnerGoneReason =
  /** Its process is dead on this host (same boot, same pid namespace). */
  | 'crash'
  /** Its host rebooted since (boot id changed). */
  | 'reboot'
  /** It could not be judged directly and its heartbeat is older than the threshold. */
  | 'stale'
  /** Its owner record could not be read; taken over as gone. */
  | 'unreadable';

/** The owner a new owner took over from. */
export interface PreviousOwner {
  owner: OwnerInfo | null;
  reason: OwnerGoneReason;
  /** A sentence for the interruption message, e.g. `owner pid 4242 on host-a is gone`. */
  detail: string;
}

/** What `acquire` returns. */
export interface Acquired {
  lease: Lease;
  /** The owner taken over from, or `null` when there was none (or it released cleanly). */
  previous: PreviousOwner | null;
}

/** Options of `acquire` and `ownerStatus`. */
export interface OwnershipOptions {
  /**
   * An owner that cannot be judged directly (another host, another pid namespace, a store
   * without processes) is gone when its heartbeat is older than this. Default 300 s.
   */
  staleAfterSeconds?: number;
}

/** Options of `acquire`. */
export interface AcquireOptions extends OwnershipOptions {
  /** Who acquires. Default: the current process, as the store sees it (tests pose as others). */
  owner?: OwnerIdentity;
}

/**
 * Whether a summary has a live owner, as only the store can judge:
 * - `none`: no owner holds it (never acquired, or released);
 * - `alive`: its owner is alive (process seen on this host, or a fresh heartbeat);
 * - `dead`: its owner is gone (`gone` says how: crash, reboot, stale heartbeat);
 * - `unknown`: the owner record exists but liveness cannot be judged (unreadable record).
 */
export interface OwnerStatus {
  state: 'none' | 'alive' | 'dead' | 'unknown';
  /** Why, in words (`pid 4242 on host-a is running`, `heartbeat 12 min old`). */
  reason: string;
  owner: OwnerInfo | null;
  /** For `dead`: how the owner went. */
  gone: OwnerGoneReason | null;
}

/** Why a stored summary cannot be used. */
export type SummaryProblemCode =
  /** There is no summary (there may still be history: see `ReadResult.hasHistory`). */
  | 'E_NOT_FOUND'
  /** It cannot be read, or is not what it claims (a directory, a FIFO, a symlink). */
  | 'E_UNREADABLE'
  /** It is larger than the store's limit (not read). */
  | 'E_TOO_LARGE'
  /** Empty, truncated, not JSON, or not a summary (`issues` lists the schema problems). */
  | 'E_INVALID_SUMMARY'
  /** Written by a newer version of this library. */
  | 'E_UNSUPPORTED_VERSION';

/** What `read` found wrong. */
export interface SummaryProblem {
  code: SummaryProblemCode;
  /** Completes "the summary …": `is empty`, `is not valid JSON (…)`. */
  reason: string;
  /** `<location>: <reason>`, one line, not escaped (escape before showing it). */
  message: string;
  /** Schema problems, for `E_INVALID_SUMMARY` / `E_UNSUPPORTED_VERSION`. */
  issues: { path: string; message: string }[];
}

/** What `read` returns: the summary as stored, or what is wrong with it. Changes nothing. */
export interface ReadResult {
  ref: SummaryRef;
  /** Where it is, for messages: a path, a key, a table row. */
  location: string;
  /**
   * The validated summary dictionary, or `null` when there is none usable (`problem` says
   * why). With `full: false`, only what a listing shows was validated.
   */
  dict: ValidatedDict | null;
  problem: SummaryProblem | null;
  /** Written by the Python original (no `schema_version`): its times are perf_counter seconds. */
  seedFormat: boolean;
  /** When it was last written, epoch seconds (a file's mtime, a row's timestamp); or null. */
  writtenAt: number | null;
  /** The lease epoch of the write that was taken (the highest), or null when unfenced. */
  epoch: number | null;
  /** Whether history exists beside it (a journal, quarantined or backup copies) to repair from. */
  hasHistory: boolean;
  /** Bytes stored, when the store knows. */
  sizeBytes: number | null;
}

/** Options of `read`. */
export interface ReadOptions {
  /** Validate everything (default) or only the names and counters a listing shows. */
  full?: boolean;
}

/**
 * The keys of a summary dictionary that a listing row is made from: what the read side's row
 * (inspect's `summaryRow`), its status judgement (`judgeStatus`) and a listing's validation
 * (`checkListedFields`, `full: false`) read, and nothing else. A row made from
 * {@link listingOf}`(dict)` is the row made from `dict`; a store may keep this projection beside
 * the summary so that a listing of 10,000 runs fetches a few hundred bytes of each instead of
 * the whole dictionary (see {@link SummaryStore.readListing}).
 */
export const LISTING_FIELDS = Object.freeze([
  'schema_version',
  'run_name',
  'process_name',
  'worker',
  'status',
  'is_completed',
  'generated_at',
  'start_time',
  'end_time',
  'duration_seconds',
  'active_seconds',
  'last_checkpoint_time',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'items_total',
  'bytes_processed',
  'success_rate_percent',
  'processing_rate_per_second',
  'current_rate_per_second',
  'eta_seconds',
  'error_count',
  'error_types',
  'interruption_count',
] as const satisfies readonly (keyof SummaryDict)[]);

/** A key of {@link LISTING_FIELDS}. */
export type ListingField = (typeof LISTING_FIELDS)[number];

/**
 * The listing projection of a summary dictionary: its own {@link LISTING_FIELDS} keys, with
 * the same values (not copied), in the order of `LISTING_FIELDS`; a key the dictionary lacks,
 * or that holds `undefined`, stays absent (as in JSON; absent and `null` are not the same to
 * validation). Anything that is not a plain object is returned as it is, so that whoever
 * validates the projection finds the same fault it would have found in the whole.
 */
export function listingOf(dict: unknown): unknown {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) return dict;
  const prototype = Object.getPrototypeOf(dict);
  if (prototype !== Object.prototype && prototype !== null) return listingOfAny(dict);
  const s = dict as Partial<Record<ListingField, unknown>>;
  const out: Partial<Record<ListingField, unknown>> = {};
  // A plain object (what JSON.parse makes) has no listing field but its own: each is loaded by
  // name, written out rather than looped over LISTING_FIELDS. A listing projects 10,000
  // summaries, most of them before V8 has optimized anything, and the loop's keyed loads and
  // stores cost it more than the rest of the projection; named stores also give every
  // projection of the same fields one shape. A test holds the two lists equal.
  if (s.schema_version !== undefined) out.schema_version = s.schema_version;
  if (s.run_name !== undefined) out.run_name = s.run_name;
  if (s.process_name !== undefined) out.process_name = s.process_name;
  if (s.worker !== undefined) out.worker = s.worker;
  if (s.status !== undefined) out.status = s.status;
  if (s.is_completed !== undefined) out.is_completed = s.is_completed;
  if (s.generated_at !== undefined) out.generated_at = s.generated_at;
  if (s.start_time !== undefined) out.start_time = s.start_time;
  if (s.end_time !== undefined) out.end_time = s.end_time;
  if (s.duration_seconds !== undefined) out.duration_seconds = s.duration_seconds;
  if (s.active_seconds !== undefined) out.active_seconds = s.active_seconds;
  if (s.last_checkpoint_time !== undefined) out.last_checkpoint_time = s.last_checkpoint_time;
  if (s.items_processed !== undefined) out.items_processed = s.items_processed;
  if (s.items_successful !== undefined) out.items_successful = s.items_successful;
  if (s.items_failed !== undefined) out.items_failed = s.items_failed;
  if (s.items_retried !== undefined) out.items_retried = s.items_retried;
  if (s.items_total !== undefined) out.items_total = s.items_total;
  if (s.bytes_processed !== undefined) out.bytes_processed = s.bytes_processed;
  if (s.success_rate_percent !== undefined) out.success_rate_percent = s.success_rate_percent;
  if (s.processing_rate_per_second !== undefined)
    out.processing_rate_per_second = s.processing_rate_per_second;
  if (s.current_rate_per_second !== undefined)
    out.current_rate_per_second = s.current_rate_per_second;
  if (s.eta_seconds !== undefined) out.eta_seconds = s.eta_seconds;
  if (s.error_count !== undefined) out.error_count = s.error_count;
  if (s.error_types !== undefined) out.error_types = s.error_types;
  if (s.interruption_count !== undefined) out.interruption_count = s.interruption_count;
  return out;
}

/** {@link listingOf} of an object with a prototype of its own: own keys only. */
function listingOfAny(dict: object): unknown {
  const source = dict as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of LISTING_FIELDS) {
    if (Object.hasOwn(source, key) && source[key] !== undefined) out[key] = source[key];
  }
  return out;
}

/** One summary in a listing: cheap to produce for 10,000 runs. */
export interface ListedSummary extends SummaryRef {
  location: string;
  /** When it was last written, epoch seconds, when the listing knows it cheaply. */
  writtenAt: number | null;
  /** False for a run that has history (a journal, quarantined copies) but no summary. */
  hasSummary: boolean;
}

/** Options of `list`. */
export interface ListOptions {
  /** Only this run. */
  runName?: string;
}

/** What a listing found that it could not look at (an unreadable directory, a loop). */
export interface ListProblem {
  location: string;
  code: 'E_UNREADABLE' | 'E_NOT_FOUND';
  message: string;
}

/** What `list` returns. */
export interface Listing {
  /** Sorted by run, process, then worker (no worker first). */
  summaries: ListedSummary[];
  problems: ListProblem[];
}

/** A listed summary and its listing projection (see {@link SummaryStore.scanListings}). */
export interface ListedListing {
  summary: ListedSummary;
  /** What `readListing` returns for it; `null` for a run that has only history (`hasSummary: false`). */
  read: ReadResult | null;
}

/** One page of {@link SummaryStore.scanListings}. */
export interface ListingPage {
  /** In no particular order (sort with {@link compareRefs}). */
  listed: ListedListing[];
  problems: ListProblem[];
}

/**
 * One journal entry from `events`: an event, or a line that could not be read (reported, not
 * skipped silently). `cursor` resumes the stream just after this entry.
 */
export type JournalRecord =
  | { cursor: string; event: SummaryEvent; problem: null }
  | { cursor: string; event: null; problem: { message: string; line: string } };

/** Options of `events`. */
export interface EventsOptions {
  /** Resume after this cursor (from an earlier record); default: from the start. */
  after?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Options of `watch`. */
export interface WatchOptions {
  /** Stops the iteration (it then ends without error). */
  signal?: AbortSignal | undefined;
  /** Polling interval where the store polls (fs events missing), milliseconds. */
  intervalMs?: number | undefined;
}

/**
 * Where summaries are kept. Every method validates its arguments before touching anything
 * (`E_INVALID_NAME`, `E_INVALID_ARGUMENT`); a lease passed for another ref than the one
 * written is an invalid argument.
 */
export interface SummaryStore {
  // ---- owner side -------------------------------------------------------------------------

  /**
   * Takes ownership of `ref`. A gone owner (see {@link OwnerStatus}) is taken over, with
   * exactly one winner among concurrent takers, and reported in `previous`; every new owner
   * gets a higher epoch than any before. Throws `E_CONCURRENT_RUN` naming the live owner
   * (pid, host, since).
   */
  acquire(ref: SummaryRef, options?: AcquireOptions): Promise<Acquired>;
  /** Proves the owner alive (a heartbeat). Throws `E_LEASE_LOST` when it is no longer current. */
  renew(lease: Lease): Promise<void>;
  /** Gives ownership up; a lease no longer current is left alone (no error). Idempotent. */
  release(lease: Lease): Promise<void>;
  /**
   * The owner's load: the summary of `ref`, or `null` when there is none. May repair: a
   * corrupt summary is quarantined and the previous good version or the journal used (with a
   * warning); when history exists but nothing usable can be rebuilt, throws a coded error
   * rather than returning `null` (a run never silently starts over). `options` (clock, limits,
   * threshold) go to the loaded summary.
   */
  load(ref: SummaryRef, options?: LoadOptions): Promise<LoadResult | null>;
  /**
   * Persists the summary's current state and appends its pending journal events. Resolves
   * once the state at the time of the call is stored; concurrent calls coalesce. With a lease,
   * fenced: `E_LEASE_LOST` if it is no longer current, and nothing changes. Without one (the
   * seed's unowned use), refused with `E_CONCURRENT_RUN` while a live owner holds the ref.
   */
  save(summary: ProcessSummary, lease?: Lease): Promise<void>;
  /**
   * `save`, synchronously, for `exit` handlers that cannot await. A capability: a store
   * without it leaves this undefined (see {@link canSaveSync}).
   */
  saveSync?(summary: ProcessSummary, lease?: Lease): void;
  /**
   * `release`, synchronously, for `exit` handlers (after their `saveSync`): otherwise the lease
   * of a process that exited stays until the store judges its owner gone. Part of the same
   * capability as `saveSync`; a store without it leaves this undefined.
   */
  releaseSync?(lease: Lease): void;
  /**
   * Sets the summary and its history aside (never deletes it) so the run can start fresh;
   * resolves where it went (a path, a key), or `null` when there was none. Fenced like `save`.
   */
  archive(ref: SummaryRef, lease?: Lease): Promise<string | null>;
  /** Removes the summary and its history (the seed's cleanup); `true` if there was one. Fenced like `save`. */
  remove(ref: SummaryRef, lease?: Lease): Promise<boolean>;

  // ---- reader side: changes nothing -------------------------------------------------------

  /** The summary as stored, or what is wrong with it; `null` when there is neither summary nor history. */
  read(ref: SummaryRef, options?: ReadOptions): Promise<ReadResult | null>;
  /**
   * `read` of many refs at once, where a store can do it in one round trip (a database): what
   * `read` would return for each, in the order given. A capability: a store without it leaves
   * this undefined and consumers call `read` per ref.
   */
  readMany?(refs: readonly SummaryRef[], options?: ReadOptions): Promise<(ReadResult | null)[]>;
  /**
   * `readMany` with `full: false`, but each `dict` holds only the {@link LISTING_FIELDS} the
   * stored summary has ({@link listingOf} of it): what a listing row needs, without fetching and
   * parsing the rest (progress updates, sessions, error details, custom metrics). Everything
   * else is what `readMany(refs, { full: false })` returns, in the order given: `null` for a
   * ref with neither summary nor history, a `problem` (not a throw) for a missing, too large or
   * invalid summary, the same `location`, `seedFormat`, `writtenAt`, `epoch`, `hasHistory` and
   * `sizeBytes` (of the whole summary). Reads the latest saved state, never an older
   * projection; changes nothing. Invalid refs are refused like `read`'s. A capability: a store
   * without it leaves this undefined and listings use `readMany` or `read`.
   */
  readListing?(refs: readonly SummaryRef[]): Promise<(ReadResult | null)[]>;
  /**
   * `list` and `readListing` of what it lists, in one pass, page by page: for a store that reads
   * both from the same place (a database scans its rows once, instead of listing them and then
   * looking each projection up by key). The pages together hold each summary `list(options)`
   * would hold once, in no particular order, each with what `readListing` returns for it when its
   * page is read (the latest saved state, never an older projection), and every problem the
   * listing met. A summary saved for the first time or removed while the pages are read may or
   * may not be in them. Invalid options are refused like `list`'s, before anything is read. A
   * capability: a store without it leaves this undefined and listings call `list`, then
   * `readListing`.
   */
  scanListings?(options?: ListOptions): AsyncIterable<ListingPage>;
  /** Every summary held (and every run that has only history), sorted. */
  list(options?: ListOptions): Promise<Listing>;
  /** The journal of `ref` from a cursor, oldest first; ends at the current end. */
  events(ref: SummaryRef, options?: EventsOptions): AsyncIterable<JournalRecord>;
  /**
   * The refs that change from now on (saved, removed, owner changed), as they change, until
   * `signal` aborts. A ref may be reported more than once per change; readers re-read it.
   */
  watch(options?: WatchOptions): AsyncIterable<SummaryRef>;
  /** Whether `ref` has a live owner, judged by the store. */
  ownerStatus(ref: SummaryRef, options?: OwnershipOptions): Promise<OwnerStatus>;

  // ---- consumer state: small documents other tools keep beside the summaries -------------

  /**
   * A consumer's document (the alerter's state: what fired, what was sent) kept in the store's
   * medium, so that it survives a restart of that consumer wherever the summaries do. `key` is
   * one to four `/`-separated segments of `[a-z0-9._-]`, each 1–64 characters, not `.` or `..`
   * (`E_INVALID_ARGUMENT` otherwise); it is never a summary and never listed. `null` when there is
   * none. A capability (with {@link SummaryStore.writeState}): a store without it leaves it undefined.
   */
  readState?(key: string): Promise<StateDocument | null>;
  /**
   * Stores `value` (JSON, at most 1 MiB serialized: `E_TOO_LARGE`) under `key`, atomically and
   * durably, if the document's version is still `expectedVersion` (`null`: there must be none);
   * otherwise nothing changes and it throws `E_CONFLICT` (another writer got there first: read
   * again). Resolves the new version.
   */
  writeState?(key: string, value: JsonValue, expectedVersion: number | null): Promise<number>;
}

/** A consumer's document, as {@link SummaryStore.readState} returns it. */
export interface StateDocument {
  value: JsonValue;
  /** Grows by one with every write; pass it to the next `writeState`. */
  version: number;
}

/** A store that keeps consumer state. */
export type StateKeepingStore = SummaryStore &
  Required<Pick<SummaryStore, 'readState' | 'writeState'>>;

/** Whether `store` declares the consumer-state capability. */
export function canKeepState(store: SummaryStore): store is StateKeepingStore {
  return typeof store.readState === 'function' && typeof store.writeState === 'function';
}

/** A store that can save synchronously (for `exit` handlers). */
export type SyncSavingStore = SummaryStore & Required<Pick<SummaryStore, 'saveSync'>>;

/** Whether `store` declares the synchronous save capability. */
export function canSaveSync(store: SummaryStore): store is SyncSavingStore {
  return typeof store.saveSync === 'function';
}

/** A ref's display name: `run/process` or `run/process@worker`. */
export function refName(ref: SummaryRef): string {
  const base = `${ref.runName}/${ref.processName}`;
  return ref.worker == null ? base : `${base}@${ref.worker}`;
}

/** Whether two refs name the same summary. */
export function sameRef(a: SummaryRef, b: SummaryRef): boolean {
  return (
    a.runName === b.runName &&
    a.processName === b.processName &&
    (a.worker ?? null) === (b.worker ?? null)
  );
}

/** Sort order of listings: run, process, then worker (no worker first). */
export function compareRefs(a: SummaryRef, b: SummaryRef): number {
  return (
    compareStrings(a.runName, b.runName) ||
    compareStrings(a.processName, b.processName) ||
    compareStrings(a.worker ?? '', b.worker ?? '')
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
