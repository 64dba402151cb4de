/**
 * Rebuilding a summary from its journal: the last resort when the summary file and its
 * backup are both lost. The journal holds every progress update, error, session start and end
 * and interruption, and the run's totals at each progress update and session boundary, so the
 * counters, errors by type, interruptions, progress and sessions come back. What the journal
 * does not hold (custom metrics, `items_total`, increments after the last event carrying the
 * totals) cannot: the result says so in its notes, for the person repairing the run.
 *
 * Pure and streaming: events are fed one at a time and only what the file keeps is held, so a
 * journal of gigabytes replays in constant memory.
 */
import { tallyError } from './error-tally.js';
import { ProcessSummaryError } from './errors.js';
import type { JsonValue } from './json.js';
import { resolveLimits, type SummaryLimits, truncateText } from './limits.js';
import { assertValidName } from './names.js';
import { ProgressLog } from './progress-log.js';
import { newSessionEntry, SessionLog, sessionSoFar } from './sessions.js';
import { type FromDictOptions, ProcessSummary } from './summary.js';
import { buildSummaryDict, ratePerSecond } from './summary-dict.js';
import type {
  ErrorDetail,
  ProgressUpdate,
  RunTotals,
  SessionEndReason,
  SessionEntry,
  SummaryStatus,
} from './types.js';

/** Options of {@link SummaryReplay} and {@link replayEvents}. */
export interface ReplayOptions extends FromDictOptions {
  /** The worker (shard) whose journal is replayed; default none. */
  worker?: string | null | undefined;
}

/** The codes of {@link ReplayNote}. */
export type ReplayNoteCode =
  /** Custom metrics and `items_total` are not journaled: the rebuilt summary has none. */
  | 'W_NOT_IN_JOURNAL'
  /** The counters are those of the last event carrying them; later increments are lost. */
  | 'W_COUNTERS_AS_OF'
  /** Some events carry no `items_retried` / `bytes_processed` (an older journal). */
  | 'W_TOTALS_INCOMPLETE'
  /** Events of an unknown type or without the fields they need were not used. */
  | 'W_EVENTS_SKIPPED'
  /** The last session never recorded its end: the summary is left `running`. */
  | 'W_UNFINISHED_SESSION';

/** Something the journal could not restore, in words for the person repairing the run. */
export interface ReplayNote {
  code: ReplayNoteCode;
  message: string;
}

/** What {@link SummaryReplay.finish} and {@link replayEvents} return. */
export interface ReplayResult {
  /** The rebuilt summary, as if read from a file (`ProcessSummary.fromDict`). */
  summary: ProcessSummary;
  /** Events used. */
  eventCount: number;
  /** Events not used (unknown type, or missing the fields they need). */
  skippedEvents: number;
  /** The time of the last event, epoch seconds: the run's last known sign of life. */
  lastEventTime: number;
  notes: ReplayNote[];
}

const INTERRUPTED_BY_ANOTHER_PROCESS: ReadonlySet<string> = new Set<SessionEndReason>([
  'crash',
  'reboot',
  'stale',
  'checkpoint_gap',
]);
const SESSION_END_REASONS: ReadonlySet<string> = new Set<SessionEndReason>([
  'completed',
  'failed',
  'signal',
  'exit',
  ...INTERRUPTED_BY_ANOTHER_PROCESS,
] as SessionEndReason[]);
/** Keys of a progress event that are not the caller's extra fields. */
const PROGRESS_EVENT_KEYS = new Set([
  'type',
  'timestamp',
  'elapsed_seconds',
  'message',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'bytes_processed',
]);
const utf8 = new TextEncoder();

interface OpenSession {
  entry: SessionEntry;
  startTotals: RunTotals;
  /** The time of the last event seen while it was open: its last sign of life. */
  lastSeen: number;
}

type EventRecord = Record<string, unknown>;

/**
 * Replays journal events, oldest first, into a summary. Feed each event with {@link add}
 * (events read from a file are untrusted: a malformed one is skipped and counted), then call
 * {@link finish}.
 *
 * ```ts
 * const replay = new SummaryReplay('harvard_2024', 'collect');
 * for await (const record of store.events({ runName: 'harvard_2024', processName: 'collect' })) {
 *   if (record.event !== null) replay.add(record.event);
 * }
 * const { summary, notes } = replay.finish();
 * ```
 */
export class SummaryReplay {
  readonly #runName: string;
  readonly #processName: string;
  readonly #worker: string | null;
  readonly #options: FromDictOptions;
  readonly #limits: SummaryLimits;

  #used = 0;
  #skipped = 0;
  #firstTime: number | null = null;
  #lastTime: number | null = null;
  #startTime: number | null = null;
  #sessionId: number | null = null;

  #totals: RunTotals = {
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    bytes_processed: 0,
  };
  #lastTotalsTime: number | null = null;
  #eventsWithoutFullTotals = 0;

  #errorCount = 0;
  readonly #errors = new Map<string, ErrorDetail>();
  #lastErrorMessage: string | null = null;
  #lastErrorTime: number | null = null;
  #interruptionCount = 0;

  readonly #progress: ProgressLog;
  /** Kept sessions: the first and the most recent, as the file keeps them. */
  readonly #sessions: SessionLog;
  #open: OpenSession | null = null;
  #closedActiveSeconds = 0;
  #lastEnd: { reason: SessionEndReason; time: number } | null = null;

  /**
   * `options` are those of `ProcessSummary.fromDict` (clock, limits, threshold); the limits
   * bound what is kept as they bound a live summary. Throws `E_INVALID_NAME` for a bad name.
   */
  constructor(runName: string, processName: string, options: ReplayOptions = {}) {
    assertValidName('run', runName);
    assertValidName('process', processName);
    const { worker = null, ...fromDict } = options;
    if (worker !== null) assertValidName('worker', worker);
    this.#runName = runName;
    this.#processName = processName;
    this.#worker = worker;
    this.#options = fromDict;
    this.#limits = resolveLimits(options.limits);
    this.#progress = new ProgressLog(this.#limits.maxProgressUpdates);
    this.#sessions = new SessionLog(this.#limits.maxSessions);
  }

  /** Replays one event; returns false (and counts it) when it cannot be used. */
  add(event: unknown): boolean {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return this.#skip();
    const e = event as EventRecord;
    let used: boolean;
    switch (e.type) {
      case 'progress':
        used = this.#progressEvent(e);
        break;
      case 'error':
        used = this.#errorEvent(e);
        break;
      case 'session_start':
        used = this.#sessionStart(e);
        break;
      case 'session_end':
        used = this.#sessionEnd(e);
        break;
      case 'interruption':
        used = this.#interruption(e);
        break;
      default:
        used = false;
    }
    if (!used) return this.#skip();
    this.#used += 1;
    return true;
  }

  /**
   * The rebuilt summary. Throws `E_NO_EVENTS` when no event could be used (there is nothing
   * to rebuild from).
   */
  finish(): ReplayResult {
    const lastTime = this.#lastTime;
    if (this.#used === 0 || lastTime === null) {
      throw new ProcessSummaryError(
        'E_NO_EVENTS',
        `process-summary: no usable journal event (${this.#skipped} skipped): nothing to rebuild the summary from`,
      );
    }
    const startTime = this.#startTime ?? (this.#firstTime as number);
    const open = this.#open;
    let status: SummaryStatus = 'running';
    if (open === null && this.#lastEnd !== null) {
      const reason = this.#lastEnd.reason;
      status = reason === 'completed' || reason === 'failed' ? reason : 'interrupted';
    }
    const ended = status === 'completed' || status === 'failed';
    const endTime = ended ? (this.#lastEnd?.time ?? lastTime) : null;
    const duration = endTime === null ? null : endTime - startTime;
    const elapsed = (duration ?? lastTime - startTime) || 0;
    const activeSeconds =
      this.#closedActiveSeconds + (open === null ? 0 : open.lastSeen - open.entry.start_time);
    const dict = buildSummaryDict({
      runName: this.#runName,
      processName: this.#processName,
      worker: this.#worker,
      sessionId: this.#sessionId ?? Math.floor(startTime),
      startTime,
      endTime,
      durationSeconds: duration,
      status,
      totals: this.#totals,
      processingRate: ratePerSecond(this.#totals.items_processed, elapsed),
      errorCount: this.#errorCount,
      errors: this.#errors,
      lastErrorMessage: this.#lastErrorMessage,
      lastErrorTime: this.#lastErrorTime,
      interruptionCount: this.#interruptionCount,
      progress: this.#progress,
      customMetrics: {},
      // The last sign of life, not the time of the repair: a reader judging whether the run
      // is alive must not see a dead run as fresh.
      generatedAt: new Date(lastTime * 1000).toISOString(),
      lastCheckpointTime: lastTime,
      itemsTotal: null,
      etaSeconds: null,
      currentRate: null,
      activeSeconds,
      sessions: this.#sessions.kept.map((s) =>
        open !== null && s === open.entry ? this.#openSnapshot(open) : { ...s },
      ),
      sessionCount: this.#sessions.count,
      eventsDropped: 0,
    });
    return {
      summary: ProcessSummary.fromDict(dict, this.#options),
      eventCount: this.#used,
      skippedEvents: this.#skipped,
      lastEventTime: lastTime,
      notes: this.#notes(open !== null),
    };
  }

  // ---------------------------------------------------------------- events

  #progressEvent(e: EventRecord): boolean {
    const { timestamp, message } = e;
    if (!isTime(timestamp) || typeof message !== 'string') return false;
    if (!isCount(e.items_processed) || !isCount(e.items_successful) || !isCount(e.items_failed)) {
      return false;
    }
    this.#see(timestamp);
    this.#takeTotals(e, false);
    const update: ProgressUpdate = {
      timestamp,
      elapsed_seconds: isTime(e.elapsed_seconds)
        ? e.elapsed_seconds
        : timestamp - (this.#startTime ?? timestamp),
      message: truncateText(message, this.#limits.maxMessageLength),
      items_processed: e.items_processed,
      items_successful: e.items_successful,
      items_failed: e.items_failed,
    };
    const extra: Record<string, JsonValue> = {};
    let hasExtra = false;
    for (const key in e) {
      if (PROGRESS_EVENT_KEYS.has(key)) continue;
      extra[key] = e[key] as JsonValue;
      hasExtra = true;
    }
    if (hasExtra) {
      // As a live summary keeps them: too large extra fields stay in the journal only.
      const size = utf8.encode(JSON.stringify(extra)).length;
      if (size > this.#limits.maxProgressFieldsBytes) update.extra_fields_omitted = size;
      else Object.assign(update, extra);
    }
    this.#progress.push(update);
    return true;
  }

  #errorEvent(e: EventRecord): boolean {
    const { time, error_type: errorType, message } = e;
    if (!isTime(time) || typeof errorType !== 'string' || errorType === '') return false;
    if (typeof message !== 'string') return false;
    this.#see(time);
    // The same bounds as `addError`: the journal holds the full text, the file a cut one.
    const { message: text } = tallyError(this.#errors, this.#limits, errorType, message, time);
    this.#errorCount += 1;
    this.#lastErrorMessage = text;
    this.#lastErrorTime = time;
    return true;
  }

  #sessionStart(e: EventRecord): boolean {
    const { time, session } = e;
    if (!isTime(time) || typeof session !== 'object' || session === null) return false;
    const s = session as Record<string, unknown>;
    if (!isCount(s.number) || s.number < 1) return false;
    // A session whose end was never journaled (its events dropped, or a journal cut short):
    // closed as a crash at its last sign of life, as `startProcess` would close it.
    if (this.#open !== null) this.#close(this.#open, 'crash', this.#open.lastSeen, null);
    this.#see(time);
    this.#takeTotals(e, true);
    this.#startTime ??= time;
    const sessionId = isCount(s.session_id) ? s.session_id : Math.floor(time);
    this.#sessionId = sessionId;
    const entry = newSessionEntry({
      number: s.number,
      session_id: sessionId,
      host: typeof s.host === 'string' ? s.host : null,
      pid: isCount(s.pid) ? s.pid : null,
      boot_id: typeof s.boot_id === 'string' ? s.boot_id : null,
      start_time: time,
    });
    this.#sessions.add(entry);
    this.#open = { entry, startTotals: { ...this.#totals }, lastSeen: time };
    return true;
  }

  #sessionEnd(e: EventRecord): boolean {
    const { time, number, end_reason: reason } = e;
    if (!isTime(time) || !isCount(number)) return false;
    if (typeof reason !== 'string' || !SESSION_END_REASONS.has(reason)) return false;
    const open = this.#open;
    // A session closed by a later process (crash, reboot…) ended at its last sign of life,
    // not when the next process noticed.
    const endTime =
      INTERRUPTED_BY_ANOTHER_PROCESS.has(reason) && open !== null ? open.lastSeen : time;
    this.#see(time);
    this.#takeTotals(e, true);
    const signal = typeof e.signal === 'string' ? e.signal : null;
    if (open !== null && open.entry.number === number) {
      this.#close(open, reason as SessionEndReason, endTime, signal);
    }
    this.#lastEnd = { reason: reason as SessionEndReason, time };
    return true;
  }

  #interruption(e: EventRecord): boolean {
    if (!isTime(e.time)) return false;
    this.#see(e.time);
    this.#interruptionCount += 1;
    return true;
  }

  // ---------------------------------------------------------------- internals

  #skip(): false {
    this.#skipped += 1;
    return false;
  }

  #see(time: number): void {
    this.#firstTime ??= time;
    if (this.#lastTime === null || time > this.#lastTime) this.#lastTime = time;
    if (this.#open !== null && time > this.#open.lastSeen) this.#open.lastSeen = time;
  }

  /**
   * Takes the run totals an event carries. Progress events always carry the first three;
   * `items_retried` and `bytes_processed` (and all five in session events) only in journals
   * written since they were added.
   */
  #takeTotals(e: EventRecord, sessionEvent: boolean): void {
    const keys = ['items_retried', 'bytes_processed'] as const;
    const base = ['items_processed', 'items_successful', 'items_failed'] as const;
    let complete = true;
    for (const key of sessionEvent ? [...base, ...keys] : keys) {
      const value = e[key];
      if (isCount(value)) this.#totals[key] = value;
      else complete = false;
    }
    if (!sessionEvent) {
      for (const key of base) this.#totals[key] = e[key] as number;
    }
    if (complete) this.#lastTotalsTime = this.#lastTime;
    else this.#eventsWithoutFullTotals += 1;
  }

  #openSnapshot(open: OpenSession): SessionEntry {
    return sessionSoFar(open.entry, open.lastSeen, this.#totals, open.startTotals);
  }

  #close(
    open: OpenSession,
    reason: SessionEndReason,
    endTime: number,
    signal: string | null,
  ): void {
    Object.assign(open.entry, this.#openSnapshot(open), {
      end_time: endTime,
      duration_seconds: endTime - open.entry.start_time,
      end_reason: reason,
      signal,
    });
    this.#closedActiveSeconds += open.entry.duration_seconds;
    this.#open = null;
  }

  #notes(unfinished: boolean): ReplayNote[] {
    const notes: ReplayNote[] = [
      {
        code: 'W_NOT_IN_JOURNAL',
        message:
          'custom metrics and items_total are not in the journal: the rebuilt summary has none (set them again when the run resumes)',
      },
    ];
    const asOf = this.#lastTotalsTime ?? this.#lastTime;
    notes.push({
      code: 'W_COUNTERS_AS_OF',
      message: `counters as of the last journal event carrying them (${isoTime(asOf)}); items counted after it were not journaled and are missing`,
    });
    if (this.#eventsWithoutFullTotals > 0) {
      notes.push({
        code: 'W_TOTALS_INCOMPLETE',
        message: `${this.#eventsWithoutFullTotals} events carry no items_retried/bytes_processed (a journal written by an older version): those counters may be low`,
      });
    }
    if (this.#skipped > 0) {
      notes.push({
        code: 'W_EVENTS_SKIPPED',
        message: `${this.#skipped} events of an unknown type or missing fields were not used`,
      });
    }
    if (unfinished) {
      notes.push({
        code: 'W_UNFINISHED_SESSION',
        message:
          'the last session never recorded its end: the summary is left running, and the next start counts it as a crash',
      });
    }
    return notes;
  }
}

/**
 * Rebuilds the summary of (run, process) from its journal events, oldest first (see
 * {@link SummaryReplay}, which does the same one event at a time). Throws `E_NO_EVENTS` when
 * no event can be used, `E_INVALID_NAME` for a bad name.
 */
export function replayEvents(
  runName: string,
  processName: string,
  events: Iterable<unknown>,
  options: ReplayOptions = {},
): ReplayResult {
  const replay = new SummaryReplay(runName, processName, options);
  for (const event of events) replay.add(event);
  return replay.finish();
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isoTime(seconds: number | null): string {
  return seconds === null ? 'unknown' : new Date(seconds * 1000).toISOString();
}
