/**
 * Resuming a run from its file: the state a validated dictionary holds, and the shift that
 * makes a seed-format file's relative times usable in this process.
 */
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
): RestoredRun {
  const errors = new Map<string, ErrorDetail>();
  const details = data.error_details ?? {};
  for (const [type, count] of Object.entries(data.error_types)) {
    const detail = details[type];
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
    customMetrics: structuredClone(data.custom_metrics),
    orphanSession,
    closedActiveSeconds: activeSeconds - (orphanSession?.duration_seconds ?? 0),
    eventsDropped: data.events_dropped ?? 0,
    frozen: {
      processingRate: data.processing_rate_per_second,
      currentRate: data.current_rate_per_second ?? null,
      eta: data.eta_seconds ?? null,
      generatedAt: data.generated_at,
    },
  };
}

/**
 * A seed-format file's times are perf_counter seconds of a process that is gone. To resume
 * it, every stored time is shifted by one offset so its last known instant becomes now:
 * durations between stored events stay exact; the unknown downtime counts as zero. Shifts the
 * kept updates, error details and sessions in place; returns the run's shifted times.
 */
export function rebaseRelativeTimes(
  times: RunTimes,
  progress: ProgressLog,
  errors: Iterable<ErrorDetail>,
  sessions: readonly SessionEntry[],
  now: number,
): RunTimes {
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
  const shift = (t: number | null) => (t === null ? null : t + offset);
  for (const update of updates) update.timestamp += offset;
  for (const detail of details) {
    detail.first_seen += offset;
    detail.last_seen += offset;
  }
  for (const session of sessions) {
    session.start_time += offset;
    session.end_time = shift(session.end_time);
  }
  return {
    startTime: times.startTime + offset,
    endTime: shift(times.endTime),
    lastCheckpointTime: shift(times.lastCheckpointTime),
    lastErrorTime: shift(times.lastErrorTime),
  };
}
