import { type Clock, clampTime, isRelativeTime, MAX_TIME_SECONDS, systemClock } from './clock.js';
import { tallyError } from './error-tally.js';
import { codedRangeError, quote } from './errors.js';
import { type JsonObject, type JsonValue, jsonByteUpperBound, setKey } from './json.js';
import {
  MAX_CUSTOM_METRICS_BYTES,
  MAX_JOURNAL_TEXT_LENGTH,
  MAX_PROGRESS_FIELDS_BYTES,
  resolveLimits,
  type SummaryLimits,
  truncateText,
} from './limits.js';
import { PendingEvents } from './pending-events.js';
import { copyUpdate, ProgressLog } from './progress-log.js';
import {
  type ElapsedAnchor,
  elapsedAt,
  type FrozenDerived,
  rebaseRelativeTimes,
  restoreRun,
} from './restore.js';
import { validateSummaryDict } from './schema.js';
import { newSessionEntry, SessionLog, sessionSoFar } from './sessions.js';
import { buildSummaryDict, ratePerSecond, successRatePercent } from './summary-dict.js';
import {
  assertErrorArguments,
  assertExitReason,
  assertInterruption,
  assertItemsTotal,
  assertOptionsObject,
  assertOutcome,
  checkSummaryOptions,
  type ItemCounts,
  invalidIncrement,
  metricValue,
  progressFields,
  sessionContext,
  signalName,
} from './summary-input.js';
import type {
  ErrorDetail,
  InterruptionReason,
  ProcessOutcome,
  ProgressSummary,
  ProgressUpdate,
  RunTotals,
  SessionContext,
  SessionEndReason,
  SessionEntry,
  SummaryDict,
  SummaryEvent,
  SummaryStatus,
  ValidatedDict,
} from './types.js';

export type { ItemCounts, ValidatedDict };

/** Options of `new ProcessSummary(…)`. */
export interface ProcessSummaryOptions {
  /** The run, e.g. `harvard_2024`. Validated: no `/`, `..`, NUL, at most 128 bytes. */
  runName: string;
  /** The process within the run, e.g. `collect`. Same rules as `runName`. */
  processName: string;
  /**
   * The worker (shard) of the process this summary tracks, when the process is split across
   * workers; each worker is its own summary. Same rules as `processName`. Default: none.
   */
  worker?: string | null;
  /** The seed's session id (Unix seconds). Default: now. */
  sessionId?: number;
  /** Source of time, epoch seconds. Default: {@link systemClock}. Tests pass a manual clock. */
  clock?: Clock;
  /** What the file keeps; see {@link SummaryLimits}. */
  limits?: Partial<SummaryLimits>;
  /** The seed's interruption rule: no checkpoint for longer than this. Default 300 s. */
  interruptionThresholdSeconds?: number;
}

/** Options of {@link ProcessSummary.fromDict}. */
export type FromDictOptions = Omit<
  ProcessSummaryOptions,
  'runName' | 'processName' | 'worker' | 'sessionId'
>;

/** The seed's progress message when an interruption is detected (followed by the detail). */
export const INTERRUPTION_DETECTED_MESSAGE = 'Interruption detected';
/** The seed's progress message when a run continues after an interruption. */
export const RESUMED_MESSAGE = 'Process resumed after interruption';

/** The journal keeps full messages, but not unbounded ones (a stack trace of megabytes). */
const JOURNAL_MESSAGE_MAX = MAX_JOURNAL_TEXT_LENGTH;
const utf8 = new TextEncoder();

// A local copy of summary-input's check: called through an import, this hot path of
// incrementItems ran 15x slower (measured on Node 20, built and under tsx).
function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** An upper bound of the bytes `"key":value,` takes in the metrics' JSON. */
function metricEntryBound(key: string, value: JsonValue): number {
  return key.length * 6 + 4 + jsonByteUpperBound(value);
}

/** The bytes `"key":value,` takes in the metrics' JSON. */
function metricEntryBytes(key: string, value: JsonValue): number {
  return utf8.encode(JSON.stringify(key)).length + utf8.encode(JSON.stringify(value)).length + 2;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The model of one (run, process): counters, timing, errors, progress, custom metrics and
 * sessions, with the seed's derived values. Pure: no file system, timers or `process`.
 * Bounded: what it keeps is capped by {@link SummaryLimits}; the complete history is handed
 * to a store as journal events ({@link ProcessSummary.takeEvents}).
 */
export class ProcessSummary {
  readonly #runName: string;
  readonly #worker: string | null;
  readonly #processName: string;
  readonly #clock: Clock;
  readonly #limits: SummaryLimits;
  readonly #interruptionThreshold: number;

  #sessionId: number;
  #startTime: number;
  #endTime: number | null = null;
  #durationSeconds: number | null = null;
  #status: SummaryStatus = 'running';
  #lastCheckpointTime: number | null = null;

  #processed = 0;
  #successful = 0;
  #failed = 0;
  #retried = 0;
  #bytes = 0;
  #itemsTotal: number | null = null;

  #errorCount = 0;
  /** Error type → detail; the count of a type is its detail's count. Insertion-ordered. */
  #errors = new Map<string, ErrorDetail>();
  #lastErrorMessage: string | null = null;
  #lastErrorTime: number | null = null;
  #interruptionCount = 0;

  readonly #progress: ProgressLog;

  #customMetrics: JsonObject = {};
  /** Serialized size of each metric (an upper bound, or exact once the bound came near the limit). */
  #metricBytes = new Map<string, number>();
  #metricBytesTotal = 0;
  /** False after a restore until the loaded metrics are counted (see {@link setCustomMetric}). */
  #metricBytesCounted = true;

  /** Kept sessions (first + most recent); the open one, if any, is the last. */
  readonly #sessions: SessionLog;
  /** A session started by this object (this process). */
  #liveSession: SessionEntry | null = null;
  /** The counters when the live session started: what it did is the difference. */
  #sessionBase: RunTotals = {
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    bytes_processed: 0,
  };
  /** A session read from a file that never recorded its end (crashed, or still running elsewhere). */
  #orphanSession: SessionEntry | null = null;
  #closedActiveSeconds = 0;
  /** Whether this run started before this object existed (it was read from a file). */
  #loaded = false;
  #frozen: FrozenDerived | null = null;
  /**
   * The run's elapsed seconds at one instant of this process's clock: every duration is
   * measured from it, so a wall clock stepped back between sessions cannot make one negative.
   */
  #anchor: ElapsedAnchor;
  /** The run's elapsed seconds when the live session started. */
  #sessionStartElapsed = 0;

  readonly #pending: PendingEvents;

  constructor(options: ProcessSummaryOptions) {
    const threshold = checkSummaryOptions(options);
    this.#runName = options.runName;
    this.#worker = options.worker ?? null;
    this.#processName = options.processName;
    this.#clock = options.clock ?? systemClock;
    this.#limits = resolveLimits(options.limits);
    this.#interruptionThreshold = threshold;
    this.#progress = new ProgressLog(this.#limits.maxProgressUpdates);
    this.#sessions = new SessionLog(this.#limits.maxSessions);
    this.#pending = new PendingEvents(this.#limits.maxPendingEvents);
    const now = this.#now();
    this.#startTime = now;
    this.#anchor = { time: now, elapsed: 0 };
    this.#sessionId = options.sessionId ?? Math.floor(now);
  }

  // ---------------------------------------------------------------- process control

  /**
   * Starts (or, for a summary read from a file, resumes) tracking in this process: opens a
   * session, sets the status to `running` and takes a checkpoint. A run's `start_time` is set
   * by its first start only. Calling it while a session is already open here does nothing.
   */
  startProcess(context: SessionContext = {}): void {
    if (this.#liveSession !== null) return;
    const who = sessionContext(context);
    const now = this.#now();
    if (this.#frozen !== null && isRelativeTime(this.#startTime)) this.#rebase(now);
    if (this.#orphanSession !== null) {
      this.recordInterruption({
        reason: 'crash',
        detail: 'the previous session ended without a record',
      });
    }
    const resuming = this.#loaded || this.#sessions.count > 0;
    // Resuming, the time since the last sign of life counts as downtime when this clock is
    // past it; when it is not (the clock was stepped back), the downtime counts as zero.
    this.#anchor = { time: now, elapsed: resuming ? elapsedAt(this.#anchor, now) : 0 };
    this.#sessionStartElapsed = this.#anchor.elapsed;
    if (!resuming) this.#startTime = now;
    else this.#sessionId = Math.floor(now);
    this.#status = 'running';
    this.#endTime = null;
    this.#durationSeconds = null;
    this.#lastCheckpointTime = now;
    this.#frozen = null;
    this.#sessionBase = this.#totals();
    const session = newSessionEntry({
      number: this.#sessions.count + 1,
      session_id: this.#sessionId,
      host: who.host,
      pid: who.pid,
      boot_id: who.bootId,
      start_time: now,
    });
    this.#sessions.add(session);
    this.#liveSession = session;
    this.#emit({ type: 'session_start', time: now, session: { ...session }, ...this.#totals() });
  }

  /**
   * Ends the process: sets `end_time` and `duration_seconds`, closes the session and sets
   * the status to the outcome. `is_completed` becomes true only for `completed`.
   */
  endProcess(options: { outcome?: ProcessOutcome } = {}): void {
    assertOptionsObject('endProcess', options);
    const outcome = options.outcome ?? 'completed';
    assertOutcome(outcome);
    const now = this.#now();
    this.#endTime = now;
    this.#durationSeconds = this.#elapsed(now);
    this.#status = outcome;
    this.#lastCheckpointTime = now;
    this.#frozen = null;
    this.#closeLiveSession(now, outcome, null);
  }

  /** Records a checkpoint: the seed's interruption rule measures the time since the last one. */
  checkpoint(): void {
    this.#lastCheckpointTime = this.#now();
  }

  /**
   * Marks the run interrupted in this process (a signal, or an exit without `endProcess`):
   * status `interrupted`, the session closed with that reason. Counted as an interruption
   * when the run is resumed and the reason is classified.
   */
  markInterrupted(options: { reason: 'signal' | 'exit'; signal?: string | null }): void {
    assertOptionsObject('markInterrupted', options);
    assertExitReason(options.reason);
    const signal = signalName(options.signal);
    const now = this.#now();
    this.#status = 'interrupted';
    this.#lastCheckpointTime = now;
    this.#closeLiveSession(now, options.reason, signal);
  }

  /**
   * Counts an interruption found on resume: `interruption_count` + 1, a progress update
   * "Interruption detected: <detail>", a journal event, and a session read from the file that
   * never recorded its end is closed with `reason` at its last sign of life.
   */
  recordInterruption(options: { reason: InterruptionReason; detail: string }): void {
    assertInterruption(options);
    const now = this.#now();
    const orphan = this.#orphanSession;
    if (orphan !== null) {
      orphan.end_time = clampTime(orphan.start_time + orphan.duration_seconds);
      orphan.end_reason = options.reason;
      this.#closedActiveSeconds += orphan.duration_seconds;
      this.#orphanSession = null;
      this.#emit({
        type: 'session_end',
        time: now,
        number: orphan.number,
        end_reason: options.reason,
        signal: null,
        ...this.#totals(),
      });
    }
    if (this.#status === 'running' && this.#liveSession === null) this.#status = 'interrupted';
    this.#interruptionCount += 1;
    this.#emit({
      type: 'interruption',
      time: now,
      reason: options.reason,
      detail: truncateText(options.detail, JOURNAL_MESSAGE_MAX),
    });
    this.addProgressUpdate(`${INTERRUPTION_DETECTED_MESSAGE}: ${options.detail}`);
  }

  /**
   * The seed's rule: if the last checkpoint is older than the threshold, counts an
   * interruption (see {@link recordInterruption}) and returns true.
   */
  detectInterruption(thresholdSeconds: number = this.#interruptionThreshold): boolean {
    if (this.#lastCheckpointTime === null) return false;
    const gap = this.#now() - this.#lastCheckpointTime;
    if (!(gap > thresholdSeconds)) return false;
    this.recordInterruption({
      reason: 'checkpoint_gap',
      detail: `no checkpoint for ${gap.toFixed(1)} seconds`,
    });
    return true;
  }

  // ---------------------------------------------------------------- metrics

  /** Adds to the counters. Refuses (state unchanged) anything but non-negative safe integers. */
  incrementItems(counts: ItemCounts): void {
    if (counts == null) throw invalidIncrement(counts);
    const processed = counts.processed ?? 0;
    const successful = counts.successful ?? 0;
    const failed = counts.failed ?? 0;
    const retried = counts.retried ?? 0;
    const bytes = counts.bytes ?? 0;
    if (
      !(
        isCount(processed) &&
        isCount(successful) &&
        isCount(failed) &&
        isCount(retried) &&
        isCount(bytes)
      )
    ) {
      throw invalidIncrement(counts);
    }
    this.#processed += processed;
    this.#successful += successful;
    this.#failed += failed;
    this.#retried += retried;
    this.#bytes += bytes;
  }

  /** Sets the expected number of items (enables `eta_seconds`); `null` clears it. */
  setItemsTotal(total: number | null): void {
    assertItemsTotal(total);
    this.#itemsTotal = total;
  }

  /**
   * Records an error of `errorType` (e.g. an exception's class name). Counts it, keeps the last
   * message and time, a few distinct sample messages per type and first/last seen times.
   */
  addError(errorType: string, errorMessage: string): void {
    assertErrorArguments(errorType, errorMessage);
    const now = this.#now();
    const { type, message } = tallyError(this.#errors, this.#limits, errorType, errorMessage, now);
    this.#errorCount += 1;
    this.#lastErrorMessage = message;
    this.#lastErrorTime = now;
    this.#emit({
      type: 'error',
      time: now,
      error_type: type,
      message: truncateText(errorMessage, JOURNAL_MESSAGE_MAX),
    });
  }

  /**
   * Adds a timestamped progress update with the current counters and the caller's extra
   * fields (JSON values; the seed's reserved keys are refused). The file keeps the first and
   * the most recent ones; every update goes to the journal.
   */
  addProgressUpdate(message: string, fields: Record<string, unknown> = {}): void {
    const extra = progressFields(message, fields);
    const now = this.#now();
    const limits = this.#limits;
    // Objects are built key by key: spreading them made this call 30x slower in V8.
    const kept: ProgressUpdate = {
      timestamp: now,
      elapsed_seconds: this.#elapsed(now),
      message: truncateText(message, limits.maxMessageLength),
      items_processed: this.#processed,
      items_successful: this.#successful,
      items_failed: this.#failed,
    };
    const event: SummaryEvent & ProgressUpdate = {
      type: 'progress',
      timestamp: now,
      elapsed_seconds: kept.elapsed_seconds,
      message:
        message.length > kept.message.length
          ? truncateText(message, JOURNAL_MESSAGE_MAX)
          : kept.message,
      items_processed: kept.items_processed,
      items_successful: kept.items_successful,
      items_failed: kept.items_failed,
    };
    let hasExtra = false;
    // `extra` is a copy with own keys only; the hasOwn test skips a polluted prototype's.
    for (const key in extra) {
      if (!Object.hasOwn(extra, key)) continue;
      hasExtra = true;
      if (key === '__proto__') setKey(event, key, extra[key]);
      else event[key] = extra[key] as JsonValue;
    }
    // The event's type and the run's other totals (so the journal alone can rebuild the
    // counters) are set after the caller's fields: a field of the same name stays in the file's
    // update, not in the journal, where `type: 'session_end'` would pass for another event.
    event.type = 'progress';
    event.items_retried = this.#retried;
    event.bytes_processed = this.#bytes;
    if (hasExtra) {
      let size = jsonByteUpperBound(extra);
      if (size > limits.maxProgressFieldsBytes) size = utf8.encode(JSON.stringify(extra)).length;
      if (size > MAX_PROGRESS_FIELDS_BYTES) {
        // Refused here rather than written as a journal line a reader may take for a torn one.
        throw codedRangeError(
          'E_INVALID_ARGUMENT',
          `addProgressUpdate: the extra fields are ${size} bytes of JSON, over the limit of ${MAX_PROGRESS_FIELDS_BYTES} (MAX_PROGRESS_FIELDS_BYTES); keep large data elsewhere`,
        );
      }
      if (size > limits.maxProgressFieldsBytes) kept.extra_fields_omitted = size;
      else {
        for (const key in extra) {
          if (!Object.hasOwn(extra, key)) continue;
          if (key === '__proto__') setKey(kept, key, extra[key]);
          else kept[key] = extra[key] as JsonValue;
        }
      }
    }
    this.#progress.push(kept);
    this.#emit(event);
  }

  /**
   * Sets a command-specific metric. The value must be JSON (no BigInt, functions, cycles, NaN),
   * nested at most `MAX_JSON_DEPTH` deep, and keep the metrics within
   * `MAX_CUSTOM_METRICS_BYTES`; anything else is refused (`E_INVALID_METRIC`), nothing changes.
   */
  setCustomMetric(key: string, value: unknown): void {
    const copy = metricValue(key, value);
    if (!this.#metricBytesCounted) this.#countMetricBytesExactly();
    let size = metricEntryBound(key, copy);
    if (
      this.#metricBytesTotal - (this.#metricBytes.get(key) ?? 0) + size >
      MAX_CUSTOM_METRICS_BYTES
    ) {
      // The bound counts every character at its worst: near the limit, exact sizes decide.
      this.#countMetricBytesExactly();
      size = metricEntryBytes(key, copy);
      const total = this.#metricBytesTotal - (this.#metricBytes.get(key) ?? 0) + size;
      if (total > MAX_CUSTOM_METRICS_BYTES && total > this.#metricBytesTotal) {
        throw codedRangeError(
          'E_INVALID_METRIC',
          `setCustomMetric: custom metric ${quote(key.slice(0, 64))} would make the custom metrics ${total} bytes of JSON, over the limit of ${MAX_CUSTOM_METRICS_BYTES} (MAX_CUSTOM_METRICS_BYTES)`,
        );
      }
    }
    setKey(this.#customMetrics, key, copy);
    this.#metricBytesTotal += size - (this.#metricBytes.get(key) ?? 0);
    this.#metricBytes.set(key, size);
  }

  // ---------------------------------------------------------------- reading

  /**
   * The file's JSON object (snake_case), ready for `JSON.stringify`: every seed key with the
   * seed's derived values, then the additions of `schema_version` 1. A fresh copy each call.
   */
  getSummaryDict(): SummaryDict {
    return this.#summaryDict(false);
  }

  /**
   * {@link getSummaryDict} for a store about to serialize it: the same dictionary, except that
   * `custom_metrics` is the summary's own object, not a copy (a deep copy of a 500 KB metric
   * took three times its `JSON.stringify`). The caller must serialize it before the summary
   * changes and must not change anything under `custom_metrics`; top-level keys are its own
   * (the stores add `owner_epoch`). Use `getSummaryDict` for anything else.
   */
  summaryDictForWrite(): SummaryDict {
    return this.#summaryDict(true);
  }

  #summaryDict(shareCustomMetrics: boolean): SummaryDict {
    const now = this.#now();
    const frozen = this.#frozen;
    const ended = this.#endTime !== null;
    let processingRate: number;
    if (this.#durationSeconds !== null) {
      processingRate =
        frozen?.processingRate ?? ratePerSecond(this.#processed, this.#durationSeconds);
    } else if (frozen !== null) {
      processingRate = frozen.processingRate;
    } else {
      processingRate = ratePerSecond(this.#processed, this.#elapsed(now));
    }
    const live = this.#liveSession;
    const sessionSeconds = live === null ? 0 : this.#elapsed(now) - this.#sessionStartElapsed;
    let currentRate: number | null = frozen?.currentRate ?? null;
    if (live !== null) {
      const done = this.#processed - this.#sessionBase.items_processed;
      currentRate = ratePerSecond(done, sessionSeconds);
    }
    let eta: number | null = null;
    if (this.#itemsTotal !== null) {
      const remaining = this.#itemsTotal - this.#processed;
      if (remaining <= 0 || this.#status === 'completed') eta = 0;
      else if (frozen !== null) eta = frozen.eta;
      else if (live !== null && currentRate !== null && currentRate > 0) {
        const done = this.#processed - this.#sessionBase.items_processed;
        eta = round1((remaining * sessionSeconds) / done);
      }
    }
    let activeSeconds = this.#closedActiveSeconds;
    if (live !== null) activeSeconds += sessionSeconds;
    else if (this.#orphanSession !== null) activeSeconds += this.#orphanSession.duration_seconds;
    return buildSummaryDict(
      {
        runName: this.#runName,
        processName: this.#processName,
        worker: this.#worker,
        sessionId: this.#sessionId,
        startTime: this.#startTime,
        endTime: this.#endTime,
        durationSeconds: ended ? this.#durationSeconds : null,
        status: this.#status,
        totals: this.#totals(),
        processingRate,
        errorCount: this.#errorCount,
        errors: this.#errors,
        lastErrorMessage: this.#lastErrorMessage,
        lastErrorTime: this.#lastErrorTime,
        interruptionCount: this.#interruptionCount,
        progress: this.#progress,
        customMetrics: this.#customMetrics,
        generatedAt: frozen?.generatedAt ?? new Date(now * 1000).toISOString(),
        lastCheckpointTime: this.#lastCheckpointTime,
        itemsTotal: this.#itemsTotal,
        etaSeconds: eta,
        currentRate,
        activeSeconds,
        sessions: this.#sessions.kept.map((session) =>
          session === live ? this.#liveSessionSnapshot(now) : { ...session },
        ),
        sessionCount: this.#sessions.count,
        eventsDropped: this.#pending.dropped,
      },
      shareCustomMetrics,
    );
  }

  /** `{}` when there is no update; else the total count, the last 5, the first and the latest. */
  getProgressSummary(): ProgressSummary {
    const first = this.#progress.first;
    if (first === null) return {};
    const kept = this.#progress.kept();
    const latest = kept[kept.length - 1] as ProgressUpdate;
    return {
      total_updates: this.#progress.count,
      recent_updates: kept.slice(-5).map(copyUpdate),
      first_update: copyUpdate(first),
      latest_update: copyUpdate(latest),
    };
  }

  /**
   * Hands over the journal events recorded since the last call (progress updates, errors,
   * session starts and ends, interruptions) and forgets them. A store appends them to its
   * journal on save; a store that failed to write them gives them back with
   * {@link restoreEvents}.
   */
  takeEvents(): SummaryEvent[] {
    return this.#pending.take();
  }

  /** Puts back events a store took but could not write, ahead of the newer ones. */
  restoreEvents(events: readonly SummaryEvent[]): void {
    this.#pending.restore(events);
  }

  /**
   * Reads a summary dictionary (the current format or the seed's, which has no
   * `schema_version`). Throws `E_INVALID_SUMMARY` naming the JSON path of the first problem,
   * or `E_UNSUPPORTED_VERSION` for a file written by a newer version.
   */
  static fromDict(dict: unknown, options: FromDictOptions = {}): ProcessSummary {
    return ProcessSummary.#fromValidated(validateSummaryDict(dict), options, false);
  }

  /**
   * {@link fromDict} of a dictionary handed over for good: fresh from `JSON.parse`, used by
   * nobody afterwards (a store's load). Its custom metrics become the summary's own instead
   * of being copied, which is most of the cost of loading a file with large metrics.
   */
  static fromParsedDict(dict: unknown, options: FromDictOptions = {}): ProcessSummary {
    return ProcessSummary.#fromValidated(validateSummaryDict(dict), options, true);
  }

  static #fromValidated(
    data: ValidatedDict,
    options: FromDictOptions,
    adopt: boolean,
  ): ProcessSummary {
    const summary = new ProcessSummary({
      ...options,
      runName: data.run_name,
      processName: data.process_name,
      worker: data.worker ?? null,
      sessionId: data.session_id,
    });
    summary.#restore(data, adopt);
    return summary;
  }

  // ---------------------------------------------------------------- camelCase read access

  get runName(): string {
    return this.#runName;
  }
  get processName(): string {
    return this.#processName;
  }
  /** The worker (shard) this summary tracks, or `null` for a process run as one. */
  get worker(): string | null {
    return this.#worker;
  }
  get sessionId(): number {
    return this.#sessionId;
  }
  get startTime(): number {
    return this.#startTime;
  }
  get endTime(): number | null {
    return this.#endTime;
  }
  get durationSeconds(): number | null {
    return this.#endTime === null ? null : this.#durationSeconds;
  }
  get isCompleted(): boolean {
    return this.#status === 'completed';
  }
  get status(): SummaryStatus {
    return this.#status;
  }
  get itemsProcessed(): number {
    return this.#processed;
  }
  get itemsSuccessful(): number {
    return this.#successful;
  }
  get itemsFailed(): number {
    return this.#failed;
  }
  get itemsRetried(): number {
    return this.#retried;
  }
  get bytesProcessed(): number {
    return this.#bytes;
  }
  get itemsTotal(): number | null {
    return this.#itemsTotal;
  }
  /** successful / (successful + failed) × 100, 2 places; 0 when nothing was attempted. */
  get successRatePercent(): number {
    return successRatePercent(this.#successful, this.#failed);
  }
  /** items_processed / duration (elapsed so far while running), 2 places. */
  get processingRatePerSecond(): number {
    return this.getSummaryDict().processing_rate_per_second;
  }
  /** Items per second of the current session only; null when no session runs here. */
  get currentRatePerSecond(): number | null {
    return this.getSummaryDict().current_rate_per_second;
  }
  /** Seconds to `items_total` at the current session's rate; null when unknown. */
  get etaSeconds(): number | null {
    return this.getSummaryDict().eta_seconds;
  }
  get errorCount(): number {
    return this.#errorCount;
  }
  /** Count per error type (a copy). */
  get errorTypes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [type, detail] of this.#errors) setKey(out, type, detail.count);
    return out;
  }
  /** Count, first/last seen and sample messages per error type (a copy). */
  get errorDetails(): Record<string, ErrorDetail> {
    return this.getSummaryDict().error_details;
  }
  get lastErrorMessage(): string | null {
    return this.#lastErrorMessage;
  }
  get lastErrorTime(): number | null {
    return this.#lastErrorTime;
  }
  get interruptionCount(): number {
    return this.#interruptionCount;
  }
  get lastCheckpointTime(): number | null {
    return this.#lastCheckpointTime;
  }
  /** How many progress updates were ever added (the file keeps fewer). */
  get progressUpdatesCount(): number {
    return this.#progress.count;
  }
  /** The progress updates the file keeps: the first and the most recent (copies). */
  get progressUpdates(): ProgressUpdate[] {
    return this.#progress.kept().map(copyUpdate);
  }
  get customMetrics(): JsonObject {
    return structuredClone(this.#customMetrics);
  }
  /** How many sessions the run has had (the file keeps at most `maxSessions`). */
  get sessionCount(): number {
    return this.#sessions.count;
  }
  get sessions(): SessionEntry[] {
    return this.getSummaryDict().sessions;
  }
  /** The session started by this object, if one is open. */
  get currentSession(): SessionEntry | null {
    return this.#liveSession === null ? null : this.#liveSessionSnapshot(this.#now());
  }
  /** The last session read from the file if it never recorded its end (for classification on resume). */
  get unfinishedSession(): SessionEntry | null {
    return this.#orphanSession === null ? null : { ...this.#orphanSession };
  }
  get activeSeconds(): number {
    return this.getSummaryDict().active_seconds;
  }
  get limits(): Readonly<SummaryLimits> {
    return { ...this.#limits };
  }
  get interruptionThresholdSeconds(): number {
    return this.#interruptionThreshold;
  }
  /** Journal events waiting for a store to take them. */
  get pendingEventCount(): number {
    return this.#pending.count;
  }

  // ---------------------------------------------------------------- internals

  /** The run's totals, as journal events carry them. */
  #totals(): RunTotals {
    return {
      items_processed: this.#processed,
      items_successful: this.#successful,
      items_failed: this.#failed,
      items_retried: this.#retried,
      bytes_processed: this.#bytes,
    };
  }

  /**
   * The clock's reading, refused unless it is a time the file can hold (a finite number within a
   * `Date`'s range): a clock returning NaN would otherwise be written as `null`, unreadable.
   */
  #now(): number {
    const now = this.#clock.now();
    if (typeof now !== 'number' || !(Math.abs(now) <= MAX_TIME_SECONDS)) {
      throw codedRangeError(
        'E_INVALID_ARGUMENT',
        `ProcessSummary: the clock returned ${quote(now)}, not epoch seconds a Date can hold`,
      );
    }
    return now;
  }

  /**
   * The run's elapsed seconds at `now`. While a session runs here, every reading moves the
   * anchor, so a caller's clock stepped back within the process stops the time (it never runs
   * backward) and it goes on from there: the elapsed time is the sum of the clock's forward
   * steps, as a replay of the journal measures it.
   */
  #elapsed(now: number): number {
    const anchor = this.#anchor;
    const elapsed = elapsedAt(anchor, now);
    if (this.#liveSession !== null) {
      anchor.time = now;
      anchor.elapsed = elapsed;
    }
    return elapsed;
  }

  #liveSessionSnapshot(now: number): SessionEntry {
    const snapshot = sessionSoFar(
      this.#liveSession as SessionEntry,
      now,
      this.#totals(),
      this.#sessionBase,
    );
    snapshot.duration_seconds = this.#elapsed(now) - this.#sessionStartElapsed;
    return snapshot;
  }

  #closeLiveSession(now: number, reason: SessionEndReason, signal: string | null): void {
    const live = this.#liveSession;
    if (live === null) return;
    Object.assign(live, this.#liveSessionSnapshot(now), {
      end_time: now,
      end_reason: reason,
      signal,
    });
    this.#closedActiveSeconds += live.duration_seconds;
    this.#liveSession = null;
    this.#emit({
      type: 'session_end',
      time: now,
      number: live.number,
      end_reason: reason,
      signal,
      ...this.#totals(),
    });
  }

  #countMetricBytesExactly(): void {
    this.#metricBytesCounted = true;
    this.#metricBytes.clear();
    this.#metricBytesTotal = 0;
    for (const key of Object.keys(this.#customMetrics)) {
      const size = metricEntryBytes(key, this.#customMetrics[key] as JsonValue);
      this.#metricBytes.set(key, size);
      this.#metricBytesTotal += size;
    }
  }

  #emit(event: SummaryEvent): void {
    this.#pending.push(event);
  }

  #rebase(now: number): void {
    const times = rebaseRelativeTimes(
      {
        startTime: this.#startTime,
        endTime: this.#endTime,
        lastCheckpointTime: this.#lastCheckpointTime,
        lastErrorTime: this.#lastErrorTime,
      },
      this.#progress,
      this.#errors.values(),
      this.#sessions.kept,
      now,
    );
    this.#anchor = { ...this.#anchor, time: this.#anchor.time + times.offset };
    this.#startTime = times.startTime;
    this.#endTime = times.endTime;
    this.#lastCheckpointTime = times.lastCheckpointTime;
    this.#lastErrorTime = times.lastErrorTime;
  }

  #restore(data: ValidatedDict, adopt: boolean): void {
    const run = restoreRun(data, this.#progress, this.#sessions, adopt);
    this.#loaded = true;
    this.#startTime = run.startTime;
    this.#endTime = run.endTime;
    this.#durationSeconds = run.durationSeconds;
    this.#status = run.status;
    this.#lastCheckpointTime = run.lastCheckpointTime;
    this.#processed = run.totals.items_processed;
    this.#successful = run.totals.items_successful;
    this.#failed = run.totals.items_failed;
    this.#retried = run.totals.items_retried;
    this.#bytes = run.totals.bytes_processed;
    this.#itemsTotal = run.itemsTotal;
    this.#errorCount = run.errorCount;
    this.#errors = run.errors;
    this.#lastErrorMessage = run.lastErrorMessage;
    this.#lastErrorTime = run.lastErrorTime;
    this.#interruptionCount = run.interruptionCount;
    this.#customMetrics = run.customMetrics;
    // Counted when a metric is next set: a loaded summary may never set one, and counting
    // serializes every metric.
    this.#metricBytesCounted = false;
    this.#orphanSession = run.orphanSession;
    this.#closedActiveSeconds = run.closedActiveSeconds;
    this.#pending.dropped = run.eventsDropped;
    this.#frozen = run.frozen;
    this.#anchor = run.anchor;
  }
}

/**
 * The dictionary a store serializes at once: {@link ProcessSummary.summaryDictForWrite}, or
 * `getSummaryDict` for a summary made by another installed copy of this package that predates
 * the method. Every store's save goes through here, so that rule is written once.
 */
export function summaryDictToWrite(summary: ProcessSummary): SummaryDict {
  return typeof summary.summaryDictForWrite === 'function'
    ? summary.summaryDictForWrite()
    : summary.getSummaryDict();
}
