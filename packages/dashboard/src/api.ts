/**
 * The HTTP API of the dashboard: the shapes its routes answer with. The pages are built on
 * exactly this (the web code imports these types), and the package README documents it; a
 * change here is a change of a public contract.
 *
 * Every path is under the server's base path (`/` by default, `--base-path /x`). Names in
 * paths are URI-encoded path segments. Every answer is JSON (`application/json`) except the
 * stream (`text/event-stream`), `/metrics` (Prometheus text) and the pages. Times are epoch
 * seconds, or — for a summary whose `time_base` is `relative` (written by the Python
 * original) — seconds on that process's own clock: show them as offsets from `start_time`,
 * never as dates. Strings come from the store unescaped: render them as text.
 *
 * | route | answers |
 * | --- | --- |
 * | `GET /api/runs` | {@link RunsResponse} |
 * | `GET /api/runs/:run/:process[?worker=W]` | {@link RunResponse} (404 with {@link ApiError}) |
 * | `GET /api/runs/:run/:process/timeline[?worker=W]` | {@link TimelineResponse} |
 * | `GET /api/runs/:run/:process/events?worker=W&after=CURSOR&limit=N` | {@link EventsResponse} |
 * | `GET /api/stream[?run=R&process=P]` | server-sent events, see {@link StreamEvent} |
 * | `GET /metrics` | Prometheus text exposition (0.0.4) of every summary, worker by worker |
 * | `GET /healthz` | {@link HealthResponse} (never needs the token) |
 */
import type { ListProblem } from '@process-summary/core';
import type { DetailView, SummaryRow, UnusableSummary } from '@process-summary/inspect';

export type { DetailView, SummaryRow, UnusableSummary };

/** An error answer (any 4xx/5xx with a JSON body). */
export interface ApiError {
  error: {
    /** A project error code (`E_NOT_FOUND`, `E_INVALID_NAME`, `E_STORE_UNAVAILABLE`, …). */
    code: string;
    message: string;
  };
}

/** `GET /healthz`. */
export interface HealthResponse {
  status: 'ok';
  /** Server time, epoch seconds. */
  now: number;
}

/** `GET /api/runs`: one row per (run, process), workers merged, like `summary-inspect list --json`. */
export interface RunsResponse {
  /** Server time the rows were judged at, epoch seconds (clients tick "ago" from it). */
  now: number;
  /** The store, as `list --json`'s `root` names it (no password). */
  store: string;
  /** After how many silent seconds an owner-less running summary is `stale`. */
  stale_after_seconds: number;
  /** Sorted by run, process; a merged row carries its workers in `workers`. */
  rows: SummaryRow[];
  /** Listed summaries that are not usable (needs repair, invalid, unreadable). */
  unusable: UnusableSummary[];
  /** What the store's listing could not look at. */
  problems: ListProblem[];
}

/** `GET /api/runs/:run/:process`: the detail of one process (its workers merged) or one worker. */
export interface RunResponse {
  now: number;
  /** `null` when nothing usable was found (then the answer is 404 unless `unusable` says more). */
  detail: DetailView | null;
  /** The summaries (the one asked for, or workers among others) that could not be used. */
  unusable: UnusableSummary[];
}

/** One point of a timeline: the end of a bucket of time. */
export interface TimelinePoint {
  /** End of the bucket (epoch seconds, or the process's own clock for `relative`). */
  t: number;
  /** Items processed in total at `t` (summed over workers for a merged view). */
  processed: number;
  /** Items per second during the bucket; `null` where nothing ran (between sessions). */
  rate: number | null;
}

/** A session on the timeline. */
export interface TimelineSession {
  number: number;
  /** The worker it belongs to, in a merged view; `null` otherwise. */
  worker: string | null;
  start: number;
  end: number | null;
  host: string | null;
  pid: number | null;
  /** How it ended (`completed`, `failed`, `signal`, `exit`, `crash`, …) or `null` while running. */
  end_reason: string | null;
  signal: string | null;
}

/** An interruption on the timeline (a session that ended by signal, crash, reboot, ...). */
export interface TimelineInterruption {
  time: number;
  worker: string | null;
  /** The classification (`signal`, `crash`, `reboot`, `stale`, `exit`, `checkpoint_gap`, …). */
  reason: string;
  /** One line, unescaped. */
  detail: string;
}

/**
 * `GET /api/runs/:run/:process/timeline`: throughput over time and cumulative processed,
 * built from the journal's progress events and session boundaries (or, for a summary without
 * a journal, from its kept progress updates and sessions), in at most a few hundred buckets.
 */
export interface TimelineResponse {
  now: number;
  time_base: 'epoch' | 'relative';
  /** The summary's start (the x axis origin for `relative`). */
  start_time: number;
  /** Width of one bucket, seconds. */
  bucket_seconds: number;
  points: TimelinePoint[];
  sessions: TimelineSession[];
  interruptions: TimelineInterruption[];
  /** Where the points came from. */
  source: 'journal' | 'progress_updates' | 'none';
}

/** `GET /api/runs/:run/:process/events`: journal entries after a cursor, oldest first. */
export interface EventsResponse {
  /** Each entry with the cursor that resumes after it (see the store contract's `events`). */
  records: JournalRecordJson[];
  /** Pass as `after` to continue; `null` when there was nothing (keep the one you had). */
  cursor: string | null;
  /** Whether more entries were there than `limit` allowed. */
  more: boolean;
}

/** A journal entry as JSON: an event, or a line that could not be read. */
export type JournalRecordJson =
  | { cursor: string; event: Record<string, unknown>; problem: null }
  | { cursor: string; event: null; problem: { message: string; line: string } };

/**
 * What `GET /api/stream` sends, one server-sent event each (`event:` is the `type`, `data:` the
 * JSON of the object). With `?run=R&process=P` only changes of that process are sent.
 * - `hello` first, on every (re)connection: the client re-fetches what it shows, since it may
 *   have missed changes while disconnected;
 * - `row`: the (merged) row of a process that changed, or whose judged status changed (a
 *   crash, a run turning stale) without a save;
 * - `gone`: a process that no longer has any summary;
 * - a comment line every 15 s keeps proxies from closing an idle stream.
 */
export type StreamEvent =
  | { type: 'hello'; now: number }
  | { type: 'row'; now: number; row: SummaryRow }
  | { type: 'gone'; now: number; run_name: string; process_name: string };
