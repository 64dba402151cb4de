/**
 * The live hub: one `store.watch` for the whole server, whatever the number of open streams.
 * A changed ref makes the row of its (run, process) be read again, workers merged, and that
 * row is sent to every stream it concerns (serialized once). Recomputes are coalesced per
 * (run, process) and bounded in number; live rows are re-judged on a timer so that a crash or
 * a run turning stale shows without any save.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, SummaryStore } from '@process-summary/core';
import { listRows, type RowOptions, readRow, type SummaryRow } from '@process-summary/inspect';
import type { StreamEvent } from '../api.js';
import {
  type DropReason,
  KEEP_ALIVE_FRAME,
  SseClient,
  type StreamFilter,
  sseFrame,
} from './sse-client.js';

/** What {@link LiveHub} takes. */
export interface LiveHubOptions {
  /** The store to watch and read (only `watch`, `list`, `read`, `readMany`, `ownerStatus`). */
  store: SummaryStore;
  logger: Logger;
  /** How rows are judged right now (`now`, `staleAfterSeconds`); called for every recompute. */
  rowOptions(): RowOptions;
  /** At most this many open streams; `attach` refuses more. */
  maxClients: number;
  /** How often live rows are judged again without a save, milliseconds. Default 5,000. */
  rejudgeIntervalMs?: number;
  /** How often an idle stream gets a comment line, milliseconds. Default 15,000. */
  keepAliveMs?: number;
  /** The store's polling interval where it polls, milliseconds (the store's default otherwise). */
  watchIntervalMs?: number;
  /** Bytes that may wait in one client's buffers before it is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * Open streams one client address may hold (`attach` refuses more), so one script or one
   * browser with many tabs cannot take every slot. Default: `maxClients`.
   */
  maxClientsPerAddress?: number;
  /** Called for every change the watch reports (the server drops answers it reuses). */
  onChange?: () => void;
  /**
   * How long the watch outlives the last stream, milliseconds (a reload or a reconnect within
   * it keeps the same watch). Default {@link DEFAULT_WATCH_GRACE_MS}.
   */
  watchGraceMs?: number;
}

/** How long the store watch outlives the last stream when not given. */
export const DEFAULT_WATCH_GRACE_MS = 30_000;
/**
 * After the watch (re)starts, the rows served meanwhile are read again this long after, and
 * sent where they changed (see {@link LiveHub} on the race this closes).
 */
const RESYNC_DELAYS_MS = [1000, 5000] as const;

/** How many (run, process) rows are remembered for re-judging, at most. */
export const MAX_LIVE_KEYS = 10_000;
/** Rows re-judged per round at most (the longest unread first): a round's work is bounded. */
export const MAX_REJUDGE_PER_ROUND = 500;
/** Recomputes in flight at once. */
const RECOMPUTE_CONCURRENCY = 8;
/** Changes arriving within this many milliseconds are read together. */
const BATCH_MS = 5;
const WATCH_BACKOFF_MIN_MS = 250;
const WATCH_BACKOFF_MAX_MS = 30_000;

interface Job {
  run: string;
  process: string;
  /** A save (or removal) was reported: the row is sent whatever it says. */
  changed: boolean;
  /** A worker's summary was reported: the process has workers to merge. */
  worker: boolean;
  /** A re-sync: what the row looked like when served; it is sent only if it differs now. */
  since?: string | undefined;
}

interface Running {
  /** Another change arrived while this recompute ran: run once more after it. */
  dirty: boolean;
  changed: boolean;
  worker: boolean;
}

/** The key of a (run, process): names never contain a NUL (the store refuses them). */
function keyOf(run: string, process: string): string {
  return `${run}\u0000${process}`;
}

/**
 * Whether a row's judgement may change without a save, which the watch would report: only a
 * `running` row (its owner alive may be judged dead: crashed; a silence may pass the
 * threshold: stale). A `stale` row is one whose owner is absent, released or cannot be judged
 * (an owner judged alive keeps it `running`): like a crashed or a finished row it changes only
 * through a save or an owner change, both reported by the watch. Re-reading those every round
 * would cost a read (and an owner look-up) each, for nothing, for as long as a tab is open.
 */
function isLive(row: SummaryRow): boolean {
  return row.status === 'running';
}

/** What a client sees change when a process is saved: a save always moves `last_update_time`. */
function fingerprint(row: SummaryRow): string {
  return JSON.stringify([
    row.status,
    row.status_reason,
    row.last_update_time,
    row.items_processed,
    row.items_failed,
    row.owner?.pid ?? null,
    row.owner?.host ?? null,
  ]);
}

function sameJudgement(a: SummaryRow, b: SummaryRow): boolean {
  return (
    a.status === b.status &&
    a.status_reason === b.status_reason &&
    a.owner?.pid === b.owner?.pid &&
    a.owner?.host === b.owner?.host
  );
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) {
    throw Object.assign(
      new RangeError(`dashboard: LiveHub ${name} must be a positive number (got ${String(v)})`),
      { code: 'E_INVALID_ARGUMENT' },
    );
  }
  return v;
}

function errorFields(error: unknown): Record<string, unknown> {
  const e = error as { code?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    error: typeof e?.message === 'string' ? e.message : String(error),
  };
}

/**
 * Serves `/api/stream`: see the module comment. Timers it starts are unref'd (they never hold
 * a process open); `close` stops them, the watch and every stream.
 *
 * The watch and `hello`: a page re-fetches what it shows on `hello`, so a save made after
 * that fetch must be reported by the watch, i.e. the watch must be listening before the fetch
 * reads. `attach` therefore starts the watch (and pulls its first change, which is what
 * starts a store's watch) before it writes `hello`. For the file store that is enough: its
 * first pull attaches its inotify watchers synchronously. The store contract has no "now
 * listening" signal, and PostgreSQL's watch listens only after a connection, LISTEN, a
 * registration and a first snapshot, never reporting what committed before that snapshot; a
 * save between the page's fetch and that moment would be lost. So after each (re)start of the
 * watch the hub remembers what it served meanwhile (rows of `noteRows`, by content) and reads
 * those rows again {@link RESYNC_DELAYS_MS} later, sending those that differ: a listening
 * delay shorter than the last of those delays loses nothing. (A store signalling readiness
 * through the contract, e.g. a `WatchOptions.onListening`, would let this happen exactly
 * once, at that moment.) Running rows are also compared by content at every re-judging round.
 *
 * The watch is stopped {@link DEFAULT_WATCH_GRACE_MS} after the last stream leaves (a
 * PostgreSQL watch holds a connection and makes every writer NOTIFY), and started again, with
 * the re-sync above, by the next `attach`.
 */
export class LiveHub {
  readonly #store: SummaryStore;
  readonly #logger: Logger;
  readonly #rowOptions: () => RowOptions;
  readonly #maxClients: number;
  readonly #rejudgeIntervalMs: number;
  readonly #keepAliveMs: number;
  readonly #watchIntervalMs: number | undefined;
  readonly #maxBufferedBytes: number;
  readonly #maxClientsPerAddress: number;
  readonly #onChange: () => void;
  readonly #watchGraceMs: number;

  readonly #clients = new Set<SseClient>();
  /** The remote address of each open stream, and how many streams each address holds. */
  readonly #addressOf = new Map<SseClient, string>();
  readonly #perAddress = new Map<string, number>();
  /** Last known row of each live (run, process), oldest first (re-inserted on update). */
  readonly #live = new Map<string, SummaryRow>();
  /**
   * Processes known to have workers: their row needs a listing of the run to merge them. Any
   * other is read directly (one read, where listing a run of 1,000 processes costs ~30 reads).
   */
  readonly #withWorkers = new Set<string>();
  readonly #queue = new Map<string, Job>();
  readonly #running = new Map<string, Running>();
  readonly #inFlight = new Set<Promise<void>>();
  #pumpTimer: NodeJS.Timeout | null = null;
  #rejudgeTimer: NodeJS.Timeout | null = null;
  #keepAliveTimer: NodeJS.Timeout | null = null;
  #watchAbort: AbortController | null = null;
  /** Watch loops not ended yet (a stopped one may still be ending when the next starts). */
  readonly #watchDone = new Set<Promise<void>>();
  #stopTimer: NodeJS.Timeout | null = null;
  readonly #resyncTimers = new Set<NodeJS.Timeout>();
  /** Rows served since the watch (re)started, by content, for the re-sync; null outside one. */
  #unsynced: Map<string, { run: string; process: string; seen: string }> | null = null;
  #closed = false;
  /** Recomputes done (for tests and benchmarks). */
  #recomputes = 0;

  constructor(options: LiveHubOptions) {
    if (typeof options !== 'object' || options === null) {
      throw Object.assign(new TypeError('dashboard: LiveHub options must be an object'), {
        code: 'E_INVALID_ARGUMENT',
      });
    }
    this.#store = options.store;
    this.#logger = options.logger;
    this.#rowOptions = options.rowOptions;
    if (!Number.isInteger(options.maxClients) || options.maxClients < 0) {
      throw Object.assign(
        new RangeError(
          `dashboard: LiveHub maxClients must be an integer >= 0 (got ${String(options.maxClients)})`,
        ),
        { code: 'E_INVALID_ARGUMENT' },
      );
    }
    this.#maxClients = options.maxClients;
    this.#rejudgeIntervalMs = positive(options.rejudgeIntervalMs, 5000, 'rejudgeIntervalMs');
    this.#keepAliveMs = positive(options.keepAliveMs, 15_000, 'keepAliveMs');
    this.#watchIntervalMs =
      options.watchIntervalMs === undefined
        ? undefined
        : positive(options.watchIntervalMs, 1000, 'watchIntervalMs');
    this.#maxBufferedBytes = positive(options.maxBufferedBytes, 1 << 20, 'maxBufferedBytes');
    this.#onChange = options.onChange ?? (() => {});
    this.#watchGraceMs = positive(options.watchGraceMs, DEFAULT_WATCH_GRACE_MS, 'watchGraceMs');
    this.#maxClientsPerAddress = positive(
      options.maxClientsPerAddress,
      Math.max(1, options.maxClients),
      'maxClientsPerAddress',
    );
  }

  /** Serves one SSE request (headers, `hello`, then events); false when full (caller answers 503). */
  attach(
    request: IncomingMessage,
    response: ServerResponse,
    filter: StreamFilter,
    extraHeaders: Record<string, string>,
  ): boolean {
    if (this.#closed || this.#clients.size >= this.#maxClients) return false;
    const address = request.socket?.remoteAddress ?? '';
    const held = this.#perAddress.get(address) ?? 0;
    if (held >= this.#maxClientsPerAddress) return false;
    const client = new SseClient(
      response,
      filter,
      extraHeaders,
      this.#maxBufferedBytes,
      (gone, reason) => this.#detach(gone, reason),
    );
    // A request that went away before it was attached never sees 'close' again.
    if (request.destroyed || response.destroyed) {
      client.end();
      return true;
    }
    this.#clients.add(client);
    this.#addressOf.set(client, address);
    this.#perAddress.set(address, held + 1);
    // The watch first, then hello: see the class comment.
    this.#start();
    client.write(sseFrame('hello', { type: 'hello', now: this.#rowOptions().now }));
    return true;
  }

  /** Rows an API answer just served: the hub keeps re-judging those that are live. */
  noteRows(rows: readonly SummaryRow[]): void {
    if (this.#closed) return;
    const unsynced = this.#unsynced;
    for (const row of rows) {
      if (row.worker != null) continue;
      if (unsynced !== null && unsynced.size < MAX_LIVE_KEYS) {
        unsynced.set(keyOf(row.run_name, row.process_name), {
          run: row.run_name,
          process: row.process_name,
          seen: fingerprint(row),
        });
      }
      this.#remember(row.run_name, row.process_name, row);
      if ((row.worker_count ?? 0) > 0)
        this.#markWorkers(keyOf(row.run_name, row.process_name), true);
    }
  }

  /** Open streams. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Rows read again since the hub started (a read, or a run's listing); coalescing keeps it low. */
  get recomputeCount(): number {
    return this.#recomputes;
  }

  /** Ends every stream and the watch. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stop();
      if (this.#pumpTimer !== null) clearTimeout(this.#pumpTimer);
      this.#pumpTimer = null;
      this.#queue.clear();
      for (const client of [...this.#clients]) client.end();
      this.#clients.clear();
      this.#addressOf.clear();
      this.#perAddress.clear();
      this.#live.clear();
      this.#withWorkers.clear();
    }
    await Promise.all([...this.#watchDone]);
    await Promise.all([...this.#inFlight]);
  }

  // ------------------------------------------------------------------ streams

  #detach(client: SseClient, reason: DropReason): void {
    this.#clients.delete(client);
    const address = this.#addressOf.get(client);
    if (address !== undefined) {
      this.#addressOf.delete(client);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    }
    if (this.#clients.size === 0 && this.#watchAbort !== null && this.#stopTimer === null) {
      this.#stopTimer = setTimeout(() => {
        this.#stopTimer = null;
        if (this.#clients.size === 0) this.#stop();
      }, this.#watchGraceMs);
      this.#stopTimer.unref();
    }
    if (reason === 'slow') {
      this.#logger.debug(
        { maxBufferedBytes: this.#maxBufferedBytes },
        'live: dropped a stream that was not reading (it reconnects and re-syncs)',
      );
    }
  }

  #broadcast(run: string, process: string, event: StreamEvent): void {
    let frame: string | null = null;
    for (const client of this.#clients) {
      if (!client.matches(run, process)) continue;
      frame ??= sseFrame(event.type, event);
      client.write(frame);
    }
  }

  // ------------------------------------------------------------------ watching

  /** Starts the watch, the re-judging and the keep-alive, unless running; ends a pending stop. */
  #start(): void {
    if (this.#stopTimer !== null) {
      clearTimeout(this.#stopTimer);
      this.#stopTimer = null;
    }
    if (this.#watchAbort !== null || this.#closed) return;
    const abort = new AbortController();
    this.#watchAbort = abort;
    // Runs synchronously up to the store's first pull of changes (see the class comment).
    const done: Promise<void> = this.#watchLoop(abort.signal)
      .catch((error: unknown) => {
        this.#logger.error(errorFields(error), 'live: the store watch stopped');
      })
      .finally(() => this.#watchDone.delete(done));
    this.#watchDone.add(done);
    this.#rejudgeTimer = setInterval(() => this.#rejudge(), this.#rejudgeIntervalMs);
    this.#rejudgeTimer.unref();
    this.#keepAliveTimer = setInterval(() => {
      for (const client of this.#clients) client.write(KEEP_ALIVE_FRAME);
    }, this.#keepAliveMs);
    this.#keepAliveTimer.unref();
  }

  /** Stops the watch and the timers that serve streams (the next `attach` starts them again). */
  #stop(): void {
    this.#watchAbort?.abort();
    this.#watchAbort = null;
    for (const timer of [this.#rejudgeTimer, this.#keepAliveTimer, this.#stopTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    this.#rejudgeTimer = this.#keepAliveTimer = this.#stopTimer = null;
    for (const timer of this.#resyncTimers) clearTimeout(timer);
    this.#resyncTimers.clear();
    this.#unsynced = null;
  }

  /** Remembers what is served from now on, and reads it again later: see the class comment. */
  #beginResync(): void {
    // An answer the server reuses may predate the watch: none is served from now on.
    this.#onChange();
    this.#unsynced ??= new Map();
    for (const timer of this.#resyncTimers) clearTimeout(timer);
    this.#resyncTimers.clear();
    RESYNC_DELAYS_MS.forEach((delay, index) => {
      const last = index === RESYNC_DELAYS_MS.length - 1;
      const timer = setTimeout(() => {
        this.#resyncTimers.delete(timer);
        const unsynced = this.#unsynced;
        if (unsynced === null) return;
        if (last) this.#unsynced = null;
        for (const { run, process, seen } of unsynced.values()) {
          this.#enqueue(run, process, false, false, seen);
        }
      }, delay);
      timer.unref();
      this.#resyncTimers.add(timer);
    });
  }

  async #watchLoop(signal: AbortSignal): Promise<void> {
    let backoff = WATCH_BACKOFF_MIN_MS;
    let restarted = false;
    while (!signal.aborted) {
      try {
        const options =
          this.#watchIntervalMs === undefined
            ? { signal }
            : { signal, intervalMs: this.#watchIntervalMs };
        const changes = this.#store.watch(options);
        this.#beginResync();
        if (restarted) {
          // Changes made while the watch was down were not reported: read the live rows again.
          for (const [key, row] of this.#live) {
            if (!this.#running.has(key)) this.#enqueue(row.run_name, row.process_name, true);
          }
        }
        for await (const ref of changes) {
          backoff = WATCH_BACKOFF_MIN_MS;
          this.#onChange();
          this.#enqueue(ref.runName, ref.processName, true, ref.worker != null);
        }
        if (signal.aborted) return;
        this.#logger.warn({ retryInMs: backoff }, 'live: the store watch ended; restarting it');
      } catch (error) {
        if (signal.aborted) return;
        this.#logger.warn(
          { ...errorFields(error), retryInMs: backoff },
          'live: the store watch failed; restarting it',
        );
      }
      restarted = true;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, WATCH_BACKOFF_MAX_MS);
    }
  }

  // ------------------------------------------------------------------ recomputing

  #enqueue(
    run: string,
    process: string,
    changed: boolean,
    worker = false,
    since?: string | undefined,
  ): void {
    if (this.#closed) return;
    const key = keyOf(run, process);
    const running = this.#running.get(key);
    if (running !== undefined) {
      // A re-judge of a row being read anyway adds nothing.
      if (changed) {
        running.dirty = true;
        running.changed = true;
        running.worker ||= worker;
      }
      return;
    }
    const queued = this.#queue.get(key);
    if (queued !== undefined) {
      queued.changed ||= changed;
      queued.worker ||= worker;
      queued.since ??= since;
      return;
    }
    this.#queue.set(key, { run, process, changed, worker, since });
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpTimer !== null || this.#closed) return;
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = null;
      this.#pump();
    }, BATCH_MS);
    this.#pumpTimer.unref();
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < RECOMPUTE_CONCURRENCY) {
      const next = this.#queue.entries().next();
      if (next.done === true) return;
      const [key, job] = next.value;
      this.#queue.delete(key);
      const running: Running = { dirty: false, changed: false, worker: false };
      this.#running.set(key, running);
      const done = this.#recompute(key, job).finally(() => {
        this.#inFlight.delete(done);
        this.#running.delete(key);
        if (running.dirty) this.#enqueue(job.run, job.process, running.changed, running.worker);
        else this.#schedulePump();
      });
      this.#inFlight.add(done);
    }
  }

  async #recompute(key: string, job: Job): Promise<void> {
    this.#recomputes += 1;
    const options = this.#rowOptions();
    let found: { row: SummaryRow | null; unusable: boolean };
    try {
      found = await this.#readProcess(key, job, options);
    } catch (error) {
      if (!this.#closed) {
        this.#logger.warn(
          { ...errorFields(error), run: job.run, process: job.process },
          'live: could not read a changed process',
        );
      }
      return;
    }
    if (this.#closed) return;
    const now = options.now;
    const before = this.#live.get(key);
    const row = found.row;
    if (row === null) {
      this.#live.delete(key);
      // An unusable summary (a torn write being repaired, an invalid file) is still there:
      // only a process with nothing left is gone.
      if (!found.unusable && (job.changed || before !== undefined || job.since !== undefined)) {
        this.#broadcast(job.run, job.process, {
          type: 'gone',
          now,
          run_name: job.run,
          process_name: job.process,
        });
      }
      return;
    }
    this.#remember(job.run, job.process, row);
    let send = job.changed;
    if (!send && before !== undefined) {
      send = !sameJudgement(before, row) || fingerprint(before) !== fingerprint(row);
    }
    // A re-sync sends only what differs from what was served; a first reading always sends.
    if (!send)
      send = job.since === undefined ? before === undefined : fingerprint(row) !== job.since;
    if (send) {
      // Clients have this one now: a later re-sync round compares with it.
      const unsynced = this.#unsynced?.get(key);
      if (unsynced !== undefined) unsynced.seen = fingerprint(row);
      this.#broadcast(job.run, job.process, { type: 'row', now, row });
    }
  }

  /**
   * The row of a (run, process), workers merged: read directly unless the process is known
   * to have workers (or has no summary of its own), else from a listing of its run.
   */
  async #readProcess(
    key: string,
    job: Job,
    options: RowOptions,
  ): Promise<{ row: SummaryRow | null; unusable: boolean }> {
    if (job.worker) this.#markWorkers(key, true);
    if (!this.#withWorkers.has(key)) {
      const one = await readRow(
        this.#store,
        { runName: job.run, processName: job.process, worker: null },
        { ...options, full: false },
      );
      if (one.row !== null) return { row: one.row, unusable: false };
    }
    const result = await listRows(this.#store, {
      ...options,
      runName: job.run,
      processName: job.process,
      mergeWorkers: true,
    });
    const row =
      result.rows.find(
        (r) => r.run_name === job.run && r.process_name === job.process && r.worker === null,
      ) ?? null;
    this.#markWorkers(key, row !== null && row.worker_count > 0);
    return { row, unusable: result.unusable.length > 0 };
  }

  #markWorkers(key: string, has: boolean): void {
    this.#withWorkers.delete(key);
    if (!has) return;
    this.#withWorkers.add(key);
    if (this.#withWorkers.size > MAX_LIVE_KEYS) {
      const oldest = this.#withWorkers.values().next();
      if (oldest.done !== true) this.#withWorkers.delete(oldest.value);
    }
  }

  /** Keeps (or forgets) the row of a (run, process) for re-judging. */
  #remember(run: string, process: string, row: SummaryRow): void {
    const key = keyOf(run, process);
    this.#live.delete(key);
    if (!isLive(row)) return;
    this.#live.set(key, row);
    if (this.#live.size > MAX_LIVE_KEYS) {
      const oldest = this.#live.keys().next();
      if (oldest.done !== true) this.#live.delete(oldest.value);
    }
  }

  #rejudge(): void {
    // A backlog (the last round not done, a burst of saves) is read first: rounds never pile up.
    if (this.#closed || this.#clients.size === 0 || this.#queue.size > 0) return;
    // #live is ordered by last reading (a recompute re-inserts its row), so taking the first
    // rows each round goes round all of them, MAX_REJUDGE_PER_ROUND at a time.
    let taken = 0;
    for (const row of this.#live.values()) {
      if (taken >= MAX_REJUDGE_PER_ROUND) break;
      const key = keyOf(row.run_name, row.process_name);
      if (!this.#running.has(key) && !this.#queue.has(key)) {
        this.#enqueue(row.run_name, row.process_name, false);
        taken += 1;
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
