/**
 * The row that describes one summary in a listing (`list`, `export`, `check`, the dashboard's
 * table, the alerter's rules), and reading rows from a store. Field names are snake_case
 * like the file; the shape is documented in the README and kept stable.
 */
import {
  codedRangeError,
  compareRefs,
  isRelativeTime,
  type ListedListing,
  type ListedSummary,
  type ListingPage,
  type ListProblem,
  type OwnerStatus,
  ProcessSummaryError,
  type ReadResult,
  refName,
  roundHalfEven2,
  type SummaryProblemCode,
  type SummaryRef,
  type SummaryStatus,
  type SummaryStore,
} from '@process-summary/core';
import {
  type DisplayStatus,
  judgeStatus,
  needsOwnerStatus,
  type StatusJudgement,
  type StatusOptions,
} from './status.js';
import { groupWorkers } from './workers.js';

/** A summary as the read side reports it (see README, "SummaryRow"). */
export interface SummaryRow {
  run_name: string;
  process_name: string;
  /** The worker (shard) this row is; `null` for a process run as one and for a merged row. */
  worker: string | null;
  /** Where the summary is (a path, a key); for a merged row, `run/process`. */
  location: string;
  status: DisplayStatus;
  /** The status stored in the summary (`running` for a crashed one). */
  file_status: SummaryStatus;
  /** Why `crashed` or `stale`, or a live owner's long silence (not escaped); else `null`. */
  status_reason: string | null;
  /** `relative` for a seed-format file's perf_counter times (show offsets, never dates). */
  time_base: 'epoch' | 'relative';
  seed_format: boolean;
  items_processed: number;
  items_successful: number;
  items_failed: number;
  items_retried: number;
  items_total: number | null;
  bytes_processed: number;
  success_rate_percent: number;
  /** failed / (successful + failed) × 100, 2 places; 0 when nothing was attempted. */
  error_rate_percent: number;
  /** The whole run's rate (the seed's definition). */
  processing_rate_per_second: number;
  /** The current session's rate, only while the run is live (never for crashed or stale). */
  current_rate_per_second: number | null;
  /** The rate to show: the current one while live, else the whole run's. */
  rate_per_second: number;
  error_count: number;
  /** Errors by type (types past the store's limit counted under its overflow key). */
  error_types: Record<string, number>;
  interruption_count: number;
  start_time: number;
  end_time: number | null;
  duration_seconds: number | null;
  /** Time spent running, summed over sessions; `null` when unknown (and for merged rows). */
  active_seconds: number | null;
  last_checkpoint_time: number | null;
  /** When the summary was last saved, epoch seconds (see `StatusJudgement.lastUpdate`). */
  last_update_time: number | null;
  /** Seconds since `last_update_time`, as of the `now` the row was made with. */
  silent_seconds: number | null;
  /** Seconds to `items_total` at the current rate, only while live. */
  eta_seconds: number | null;
  /** The owner the store knows of, for a running summary. */
  owner: { pid: number; host: string } | null;
  /** How many workers a merged row stands for; 0 for a single summary. */
  worker_count: number;
  /** A merged row's per-worker rows, sorted by worker; empty otherwise. */
  workers: SummaryRow[];
}

/** Why a listed summary has no row. */
export type UnusableStatus =
  /** Not there at all. */
  | 'missing'
  /** No usable summary, but history (a journal, a backup) that `repair` can rebuild it from. */
  | 'needs_repair'
  /** Not a valid summary (bad JSON, schema violation, a newer version). */
  | 'invalid'
  /** Cannot be read (permissions, not a regular file, too large). */
  | 'unreadable';

/** A listed summary that could not be made a row, and why. */
export interface UnusableSummary {
  run_name: string;
  process_name: string;
  worker: string | null;
  location: string;
  status: UnusableStatus;
  code: SummaryProblemCode;
  /** One line naming the summary and what to do (not escaped). */
  message: string;
  has_history: boolean;
}

/** Options of {@link readRow} and {@link listRows}. */
export interface RowOptions extends StatusOptions {
  /** Validate the whole summary (default `false` for listings, `true` for {@link readRow}). */
  full?: boolean | undefined;
}

/** Options of {@link listRows}. */
export interface ListRowsOptions extends RowOptions {
  /** Only this run. */
  runName?: string | undefined;
  /** Only this process (of every run, or of `runName`). */
  processName?: string | undefined;
  /** One merged row per process with workers (default), or one row per worker. */
  mergeWorkers?: boolean | undefined;
  /** Reads in flight at once (default 8); order of the result does not depend on it. */
  concurrency?: number | undefined;
}

/** What {@link listRows} returns. */
export interface RowsResult {
  /** Sorted by run, process, then worker. */
  rows: SummaryRow[];
  /** Listed summaries without a row: journal-only runs (`needs_repair`), invalid, unreadable. */
  unusable: UnusableSummary[];
  /** What the store's listing could not look at. */
  problems: ListProblem[];
}

type DictLike = Readonly<Record<string, unknown>>;

function num<T>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** failed / (successful + failed) × 100, 2 places; 0 when nothing was attempted. */
export function errorRatePercent(successful: number, failed: number): number {
  const attempted = successful + failed;
  return attempted > 0 ? roundHalfEven2((failed / attempted) * 100) : 0;
}

/** successful / (successful + failed) × 100, 2 places (the seed's definition). */
export function successRatePercent(successful: number, failed: number): number {
  const attempted = successful + failed;
  return attempted > 0 ? roundHalfEven2((successful / attempted) * 100) : 0;
}

/** A copy of the error tally keeping only numeric counts; `__proto__` stays an ordinary key. */
function errorTypesOf(value: unknown): Record<string, number> {
  const kept: Record<string, number> = {};
  if (typeof value !== 'object' || value === null) return kept;
  const types = Object.keys(value);
  for (let i = 0; i < types.length; i++) {
    const type = types[i] as string;
    const count = (value as Record<string, unknown>)[type];
    if (typeof count !== 'number' || !(count >= 0)) continue;
    // defineProperty, not assignment: a type named `__proto__` stays an ordinary key.
    if (type === '__proto__') {
      Object.defineProperty(kept, type, {
        value: count,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else kept[type] = count;
  }
  return kept;
}

/**
 * The row of a usable summary (`read.dict` not null) judged by {@link judgeStatus}. Reads the
 * dictionary defensively: a listing reads with `full: false`, which validates only the names
 * and counters.
 */
export function summaryRow(read: ReadResult, judgement: StatusJudgement): SummaryRow {
  const d = (read.dict ?? {}) as DictLike;
  const successful = num(d.items_successful, 0);
  const failed = num(d.items_failed, 0);
  const start = num(d.start_time, 0);
  const processingRate = num(d.processing_rate_per_second, 0);
  const currentRate = judgement.live ? num(d.current_rate_per_second, null) : null;
  const owner = judgement.owner;
  return {
    run_name: typeof d.run_name === 'string' ? d.run_name : read.ref.runName,
    process_name: typeof d.process_name === 'string' ? d.process_name : read.ref.processName,
    worker: read.ref.worker ?? (typeof d.worker === 'string' ? d.worker : null),
    location: read.location,
    status: judgement.status,
    file_status: judgement.fileStatus,
    status_reason: judgement.reason,
    time_base: isRelativeTime(start) ? 'relative' : 'epoch',
    seed_format: read.seedFormat,
    items_processed: num(d.items_processed, 0),
    items_successful: successful,
    items_failed: failed,
    items_retried: num(d.items_retried, 0),
    items_total: num(d.items_total, null),
    bytes_processed: num(d.bytes_processed, 0),
    success_rate_percent: num(d.success_rate_percent, successRatePercent(successful, failed)),
    error_rate_percent: errorRatePercent(successful, failed),
    processing_rate_per_second: processingRate,
    current_rate_per_second: currentRate,
    rate_per_second: currentRate ?? processingRate,
    error_count: num(d.error_count, 0),
    error_types: errorTypesOf(d.error_types),
    interruption_count: num(d.interruption_count, 0),
    start_time: start,
    end_time: num(d.end_time, null),
    duration_seconds: num(d.duration_seconds, null),
    active_seconds: num(d.active_seconds, null),
    last_checkpoint_time: num(d.last_checkpoint_time, null),
    last_update_time: judgement.lastUpdate,
    silent_seconds: judgement.silentSeconds,
    eta_seconds: judgement.live ? num(d.eta_seconds, null) : null,
    owner: owner === null ? null : { pid: owner.pid, host: owner.host },
    worker_count: 0,
    workers: [],
  };
}

/** Why a read gave no usable summary, as an {@link UnusableSummary}. */
export function unusableOf(ref: SummaryRef, read: ReadResult | null): UnusableSummary {
  const base = {
    run_name: ref.runName,
    process_name: ref.processName,
    worker: ref.worker ?? null,
  };
  if (read === null) {
    return {
      ...base,
      location: refName(ref),
      status: 'missing',
      code: 'E_NOT_FOUND',
      message: `${refName(ref)}: no such summary`,
      has_history: false,
    };
  }
  const problem = read.problem;
  const code: SummaryProblemCode = problem?.code ?? 'E_INVALID_SUMMARY';
  const text = problem?.message ?? `${read.location}: not a usable summary`;
  if (read.hasHistory) {
    const what = code === 'E_NOT_FOUND' ? `${read.location}: no summary, only its history` : text;
    return {
      ...base,
      location: read.location,
      status: 'needs_repair',
      code,
      message: `${what}; run repair to rebuild it from the journal or the previous good version`,
      has_history: true,
    };
  }
  const status: UnusableStatus =
    code === 'E_NOT_FOUND'
      ? 'missing'
      : code === 'E_INVALID_SUMMARY' || code === 'E_UNSUPPORTED_VERSION'
        ? 'invalid'
        : 'unreadable';
  return { ...base, location: read.location, status, code, message: text, has_history: false };
}

/** A summary read and judged, or why it could not be. */
export type RowRead =
  | { row: SummaryRow; read: ReadResult; judgement: StatusJudgement; unusable: null }
  | { row: null; read: ReadResult | null; judgement: null; unusable: UnusableSummary };

/**
 * Reads one summary and makes its row: one `read` (full validation unless `full: false`) and
 * an `ownerStatus` only when the summary says it is running. Never throws for a bad or
 * missing summary (see `unusable`); store errors propagate.
 */
export async function readRow(
  store: SummaryStore,
  ref: SummaryRef,
  options: RowOptions,
): Promise<RowRead> {
  const read = await store.read(ref, { full: options.full ?? true });
  return rowOfRead(store, ref, read, options);
}

async function rowOfRead(
  store: SummaryStore,
  ref: SummaryRef,
  read: ReadResult | null,
  options: RowOptions,
): Promise<RowRead> {
  if (read === null || read.dict === null) {
    return { row: null, read, judgement: null, unusable: unusableOf(ref, read) };
  }
  const owner: OwnerStatus | null = needsOwnerStatus(read)
    ? await store.ownerStatus(ref, ownershipOptions(options))
    : null;
  return rowWithOwner(ref, read, owner, options);
}

/** The row of a read once its owner status (if it needs one) is known. */
function rowWithOwner(
  ref: SummaryRef,
  read: ReadResult | null,
  owner: OwnerStatus | null,
  options: RowOptions,
): RowRead {
  if (read === null || read.dict === null) {
    return { row: null, read, judgement: null, unusable: unusableOf(ref, read) };
  }
  const judgement = judgeStatus(read, owner, options);
  return { row: summaryRow(read, judgement), read, judgement, unusable: null };
}

function ownershipOptions(options: RowOptions): { staleAfterSeconds?: number } {
  return options.staleAfterSeconds === undefined
    ? {}
    : { staleAfterSeconds: options.staleAfterSeconds };
}

/** Refs per `readMany` call: one round trip each, and at most this many reads held at once. */
export const READ_MANY_CHUNK = 1000;

/**
 * The rows of every summary in `store` (or of one run, one process): one `list`, then a light
 * read (`full: false`) of each summary and, only for a summary that says it is running, one
 * `ownerStatus`. A store with `readMany` (a database) is read in chunks of
 * {@link READ_MANY_CHUNK} refs, one call each; any other store with one `read` per summary,
 * `concurrency` at a time. A light listing of a store with `scanListings` (a database) takes
 * its pages instead of `list` and reads: one pass over the store. A run that has only history
 * is not read at all: it is reported in `unusable` with status `needs_repair`. Processes with
 * workers become one merged row each (see {@link groupWorkers}) unless `mergeWorkers: false`.
 */
export async function listRows(store: SummaryStore, options: ListRowsOptions): Promise<RowsResult> {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `inspect: listRows concurrency must be an integer >= 1 (got ${concurrency})`,
    );
  }
  const listOptions = options.runName === undefined ? {} : { runName: options.runName };
  if ((options.full ?? false) === false && store.scanListings !== undefined) {
    return rowsOfScan(store, store.scanListings(listOptions), options, concurrency);
  }
  const listing = await store.list(listOptions);
  const listed = listing.summaries.filter(
    (s) => options.processName === undefined || s.processName === options.processName,
  );
  const rowOptions: RowOptions = { ...options, full: options.full ?? false };
  // Only the row (or why there is none) is kept of each read: holding 10,000 parsed summaries
  // to the end costs a listing more in garbage collection than the rows themselves.
  // A light listing reads only the fields a row is made from, where the store keeps them apart.
  const readListing = rowOptions.full === false ? store.readListing?.bind(store) : undefined;
  const readMany = readListing ?? store.readMany?.bind(store);
  const results =
    readMany !== undefined
      ? await rowsByChunks(store, readMany, listed, rowOptions, concurrency)
      : await mapLimit(listed, concurrency, async (summary) =>
          keptOf(
            summary.hasSummary
              ? await readRow(store, refOf(summary), rowOptions)
              : historyOnly(summary),
          ),
        );
  return rowsResult(results, listing.problems, options);
}

/** The rows and the unusable summaries of `results`, in their order, workers merged unless not asked. */
function rowsResult(
  results: readonly Kept[],
  problems: ListProblem[],
  options: ListRowsOptions,
): RowsResult {
  const rows: SummaryRow[] = [];
  const unusable: UnusableSummary[] = [];
  for (const result of results) {
    if (result.row !== null) rows.push(result.row);
    else unusable.push(result.unusable);
  }
  return {
    rows: options.mergeWorkers === false ? rows : groupWorkers(rows),
    unusable,
    problems,
  };
}

/**
 * The rows of a store's `scanListings`: each page's rows are made as it comes (the store reads
 * the next one meanwhile), the same as a light read of each listed summary gives, then put in
 * the listing's order.
 */
async function rowsOfScan(
  store: SummaryStore,
  pages: AsyncIterable<ListingPage>,
  options: ListRowsOptions,
  concurrency: number,
): Promise<RowsResult> {
  const rowOptions: RowOptions = { ...options, full: false };
  const made: { summary: ListedSummary; kept: Kept }[] = [];
  const problems: ListProblem[] = [];
  for await (const page of pages) {
    for (const problem of page.problems) problems.push(problem);
    const withSummary: ListedListing[] = [];
    // An indexed loop, as in rowsByChunks: most rows are made before V8 optimizes anything.
    const listed = page.listed;
    for (let i = 0; i < listed.length; i++) {
      const { summary } = listed[i] as ListedListing;
      if (options.processName !== undefined && summary.processName !== options.processName) {
        continue;
      }
      if (summary.hasSummary) withSummary.push(listed[i] as ListedListing);
      else made.push({ summary, kept: keptOf(historyOnly(summary)) });
    }
    const kept = await keptOfReads(
      store,
      withSummary.map(({ summary }) => refOf(summary)),
      withSummary.map(({ read }) => read),
      rowOptions,
      concurrency,
    );
    for (let i = 0; i < withSummary.length; i++) {
      made.push({ summary: (withSummary[i] as ListedListing).summary, kept: kept[i] as Kept });
    }
  }
  made.sort((a, b) => compareRefs(a.summary, b.summary));
  return rowsResult(
    made.map(({ kept }) => kept),
    problems,
    options,
  );
}

type Kept = { row: SummaryRow; unusable: null } | { row: null; unusable: UnusableSummary };

function keptOf({ row, unusable }: RowRead): Kept {
  return row !== null ? { row, unusable: null } : { row: null, unusable };
}

/**
 * `readMany` chunk by chunk, in the listing's order. The next chunk is asked for while this
 * one's rows are made: a database then works while this process parses, and no more than two
 * chunks of parsed summaries are alive at once.
 */
async function rowsByChunks(
  store: SummaryStore,
  readMany: NonNullable<SummaryStore['readMany']>,
  listed: readonly ListedSummary[],
  options: RowOptions,
  concurrency: number,
): Promise<Kept[]> {
  const results = new Array<Kept>(listed.length);
  const toRead: number[] = [];
  for (let index = 0; index < listed.length; index++) {
    const summary = listed[index] as ListedSummary;
    if (summary.hasSummary) toRead.push(index);
    else results[index] = keptOf(historyOnly(summary));
  }
  const chunks: number[][] = [];
  for (let start = 0; start < toRead.length; start += READ_MANY_CHUNK) {
    chunks.push(toRead.slice(start, start + READ_MANY_CHUNK));
  }
  const fetch = async (chunk: readonly number[]) => {
    const refs = chunk.map((index) => refOf(listed[index] as ListedSummary));
    const reads = await readMany(refs, { full: options.full ?? false });
    if (reads.length !== refs.length) {
      throw new ProcessSummaryError(
        'E_IO',
        `inspect: the store's readMany returned ${reads.length} results for ${refs.length} summaries`,
      );
    }
    return { refs, reads };
  };
  // Chunks asked for ahead of the one whose rows are being made: a database answers the next
  // ones while this process parses and builds rows (one ahead left it waiting on the server for
  // a quarter of a PostgreSQL listing). At most READ_AHEAD + 1 chunks are held at once.
  const pending: ReturnType<typeof fetch>[] = [];
  let asked = 0;
  const askAhead = () => {
    while (asked < chunks.length && pending.length <= READ_AHEAD) {
      const next = fetch(chunks[asked] as number[]);
      // A rejection of a chunk asked for ahead is seen when it is awaited; until then it must
      // not count as unhandled.
      next.catch(() => {});
      pending.push(next);
      asked += 1;
    }
  };
  askAhead();
  for (let c = 0; c < chunks.length; c += 1) {
    const chunk = chunks[c] as number[];
    const { refs, reads } = await (pending.shift() as ReturnType<typeof fetch>);
    askAhead();
    const kept = await keptOfReads(store, refs, reads, options, concurrency);
    for (let i = 0; i < chunk.length; i++) results[chunk[i] as number] = kept[i] as Kept;
  }
  return results;
}

/**
 * What a listing keeps of each read, in the order of `refs`. Most rows need no owner status
 * (the summary ended): those are made at once, without a promise each; the others ask the
 * store, `concurrency` at a time. Indexed loops on this path: a listing makes 10,000 rows, most
 * of them before V8 has optimized anything, and the interpreter pays for every iterator.
 */
async function keptOfReads(
  store: SummaryStore,
  refs: readonly SummaryRef[],
  reads: readonly (ReadResult | null)[],
  options: RowOptions,
  concurrency: number,
): Promise<Kept[]> {
  const kept = new Array<Kept>(refs.length);
  const waiting: number[] = [];
  for (let i = 0; i < refs.length; i++) {
    const read = reads[i] ?? null;
    if (read !== null && read.dict !== null && needsOwnerStatus(read)) waiting.push(i);
    else kept[i] = keptOf(rowWithOwner(refs[i] as SummaryRef, read, null, options));
  }
  const made = await mapLimit(waiting, concurrency, async (i) =>
    keptOf(await rowOfRead(store, refs[i] as SummaryRef, reads[i] ?? null, options)),
  );
  for (let w = 0; w < waiting.length; w++) kept[waiting[w] as number] = made[w] as Kept;
  return kept;
}

/** Chunks a listing asks a store for beyond the one it is making rows of. */
const READ_AHEAD = 2;

function refOf(listed: ListedSummary): SummaryRef {
  return {
    runName: listed.runName,
    processName: listed.processName,
    worker: listed.worker ?? null,
  };
}

/** A listed run that has only history: nothing to read, and the listing already says so. */
function historyOnly(listed: ListedSummary): RowRead {
  const ref = refOf(listed);
  const unusable = unusableOf(ref, {
    ref,
    location: listed.location,
    dict: null,
    problem: {
      code: 'E_NOT_FOUND',
      reason: 'does not exist',
      message: `${listed.location}: does not exist`,
      issues: [],
    },
    seedFormat: false,
    writtenAt: listed.writtenAt,
    epoch: null,
    hasHistory: true,
    sizeBytes: null,
  });
  return { row: null, read: null, judgement: null, unusable };
}

/** `fn` over `items` with at most `limit` in flight; results in the order of `items`. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
