/**
 * Resuming a run from its file: the state a validated dictionary holds, and the shift that
 * makes a seed-format file's relative times usable in this process.
 */
import { clampTime } from './clock.js';
import type { JsonObject } from './json.js';
import type { ProgressLog } from './progress-log.js';
import type { SessionLog } from './sessions.js';
import type {
  ErrorDetail,
  RunTotals,
  SessionEntry,
  SummaryStatus,
  ValidatedDict,
} from './types.js';

/** Values read from a file that cannot be recomputed until the summary runs again here. */
export interface FrozenDerived {
  processingRate: number;
  currentRate: number | null;
  eta: number | null;
  generatedAt: string;
}

/** The times of a run that a seed-format file holds as perf_counter seconds. */
export interface RunTimes {
  startTime: number;
  endTime: number | null;
  lastCheckpointTime: number | null;
  lastErrorTime: number | null;
}

/** What a file restores besides its progress updates and sessions. */
export interface RestoredRun extends RunTimes {
  durationSeconds: number | null;
  status: SummaryStatus;
  totals: RunTotals;
  itemsTotal: number | null;
  errorCount: number;
  errors: Map<string, ErrorDetail>;
  lastErrorMessage: string | null;
  interruptionCount: number;
  customMetrics: JsonObject;
  /** The last session if it never recorded its end (crashed, or still running elsewhere). */
  orphanSession: SessionEntry | null;
  /** Active seconds of the sessions that ended. */
  closedActiveSeconds: number;
  eventsDropped: number;
  frozen: FrozenDerived;
  /** The run's elapsed seconds at its last sign of life in the file. */
  anchor: ElapsedAnchor;
}

/**
 * The run's elapsed seconds (`elapsed`) at one instant (`time`, epoch seconds). Durations are
 * measured from an anchor, never as a difference of two stored dates: the dates of two
 * processes come from two wall clocks, and a clock stepped back between them (NTP, a VM
 * restored from a snapshot) would make `end_time - start_time` negative.
 */
export interface ElapsedAnchor {
  time: number;
  elapsed: number;
}

/** The run's elapsed seconds at `now`: the anchor's, plus the time since, never less. */
export function elapsedAt(anchor: ElapsedAnchor, now: number): number {
  return now > anchor.time ? anchor.elapsed + (now - anchor.time) : anchor.elapsed;
}

/**
 * The state `data` holds (current or seed format, already validated). Its progress updates and
 * sessions go into `progress` and `sessions`; a seed file has neither sessions nor the other
 * additions, which take their seed-compatible defaults.
 */
export function restoreRun(
  data: ValidatedDict,
  progress: ProgressLog,
  sessions: SessionLog,
  /** Take `data`'s custom metrics as they are (a dictionary nobody else holds), not a copy. */
  adopt = false,
): RestoredRun {
  const errors = new Map<string, ErrorDetail>();
  const details = data.error_details ?? {};
  for (const [type, count] of Object.entries(data.error_types)) {
    const detail = Object.hasOwn(details, type) ? details[type] : undefined;
    errors.set(type, {
      count,
      first_seen: detail?.first_seen ?? data.last_error_time ?? data.start_time,
      last_seen: detail?.last_seen ?? data.last_error_time ?? data.start_time,
      samples: detail ? [...detail.samples] : [],
    });
  }
  progress.restore(data.progress_updates, data.progress_updates_count);
  const stored = data.sessions ?? [];
  sessions.restore(stored, data.session_count ?? 0);
  const last = sessions.last;
  const orphanSession = last !== null && last.end_reason === null ? last : null;
  const activeSeconds = data.active_seconds ?? 0;
  return {
    startTime: data.start_time,
    endTime: data.end_time,
    durationSeconds: data.duration_seconds,
    status: data.status ?? (data.is_completed ? 'completed' : 'running'),
    lastCheckpointTime: data.last_checkpoint_time ?? null,
    totals: {
      items_processed: data.items_processed,
      items_successful: data.items_successful,
      items_failed: data.items_failed,
      items_retried: data.items_retried,
      bytes_processed: data.bytes_processed,
    },
    itemsTotal: data.items_total ?? null,
    errorCount: data.error_count,
    errors,
    lastErrorMessage: data.last_error_message,
    lastErrorTime: data.last_error_time,
    interruptionCount: data.interruption_count,
    customMetrics: adopt ? data.custom_metrics : structuredClone(data.custom_metrics),
    orphanSession,
    closedActiveSeconds: activeSeconds - (orphanSession?.duration_seconds ?? 0),
    eventsDropped: data.events_dropped ?? 0,
    anchor: storedAnchor(data, sessions.last),
    frozen: {
      processingRate: data.processing_rate_per_second,
      currentRate: data.current_rate_per_second ?? null,
      eta: data.eta_seconds ?? null,
      generatedAt: data.generated_at,
    },
  };
}

/**
 * The run's last sign of life in `data` and its elapsed seconds then. The last sign of life is
 * taken from the last process only (its session, its checkpoint, its end), since an earlier
 * process's dates may be later if the clock stepped back since. The elapsed time is the largest
 * the file vouches for: the stored duration, the active seconds (the sum of every session's own
 * monotonic span), the last progress update's elapsed seconds, the span between the dates.
 */
function storedAnchor(data: ValidatedDict, last: SessionEntry | null): ElapsedAnchor {
  let time = data.start_time;
  const consider = (t: number | null | undefined) => {
    if (t != null && t > time) time = t;
  };
  if (last !== null) {
    time = last.start_time;
    consider(last.end_time ?? last.start_time + last.duration_seconds);
    consider(data.last_checkpoint_time);
    consider(data.end_time);
  } else {
    // A seed-format file (or one without sessions): one process wrote every date.
    consider(data.end_time);
    consider(data.last_checkpoint_time);
    consider(data.last_error_time);
    for (const update of data.progress_updates) consider(update.timestamp);
  }
  let elapsed = Math.max(0, time - data.start_time, data.duration_seconds ?? 0);
  elapsed = Math.max(elapsed, data.active_seconds ?? 0);
  const latest = data.progress_updates[data.progress_updates.length - 1];
  if (latest !== undefined && Number.isFinite(latest.elapsed_seconds)) {
    elapsed = Math.max(
      elapsed,
      elapsedAt({ time: latest.timestamp, elapsed: latest.elapsed_seconds }, time),
    );
  }
  return { time, elapsed };
}

/**
 * A seed-format file's times are perf_counter seconds of a process that is gone. To resume
 * it, every stored time is shifted by one offset so its last known instant becomes now:
 * durations between stored events stay exact; the unknown downtime counts as zero. Shifts the
 * kept updates, error details and sessions in place; returns the run's shifted times and the
 * offset.
 */
export function rebaseRelativeTimes(
  times: RunTimes,
  progress: ProgressLog,
  errors: Iterable<ErrorDetail>,
  sessions: readonly SessionEntry[],
  now: number,
): RunTimes & { offset: number } {
  const details = [...errors];
  const updates = progress.kept();
  let last = times.startTime;
  const consider = (t: number | null) => {
    if (t !== null && t > last) last = t;
  };
  consider(times.endTime);
  consider(times.lastCheckpointTime);
  consider(times.lastErrorTime);
  for (const update of updates) consider(update.timestamp);
  for (const detail of details) consider(detail.last_seen);
  for (const session of sessions) consider(session.end_time ?? session.start_time);
  const offset = now - last;
  // Clamped: a hostile file's times far below its last one would be shifted past a Date's range.
  const move = (t: number) => clampTime(t + offset);
  const shift = (t: number | null) => (t === null ? null : move(t));
  for (const update of updates) update.timestamp = move(update.timestamp);
  for (const detail of details) {
    detail.first_seen = move(detail.first_seen);
    detail.last_seen = move(detail.last_seen);
  }
  for (const session of sessions) {
    session.start_time = move(session.start_time);
    session.end_time = shift(session.end_time);
  }
  return {
    offset,
    startTime: move(times.startTime),
    endTime: shift(times.endTime),
    lastCheckpointTime: shift(times.lastCheckpointTime),
    lastErrorTime: shift(times.lastErrorTime),
  };
}
