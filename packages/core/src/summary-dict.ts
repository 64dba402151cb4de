import { type JsonObject, setKey } from './json.js';
import { copyUpdate, type ProgressLog } from './progress-log.js';
import { roundHalfEven2 } from './round.js';
import {
  type ErrorDetail,
  type RunTotals,
  SCHEMA_VERSION,
  type SessionEntry,
  type SummaryDict,
  type SummaryStatus,
} from './types.js';

/**
 * What the summary dictionary is built from: the state of a run, however it was obtained (a
 * live summary, or a replay of its journal). The rest of the dictionary is derived from it here,
 * once, so the two can never write it differently.
 */
export interface DictParts {
  runName: string;
  processName: string;
  worker: string | null;
  sessionId: number;
  startTime: number;
  endTime: number | null;
  /** `null` unless the run ended. */
  durationSeconds: number | null;
  status: SummaryStatus;
  totals: RunTotals;
  processingRate: number;
  errorCount: number;
  /** Error type → detail, in the order the types were first seen (copied here). */
  errors: ReadonlyMap<string, ErrorDetail>;
  lastErrorMessage: string | null;
  lastErrorTime: number | null;
  interruptionCount: number;
  /** The kept progress updates (copied here). */
  progress: ProgressLog;
  /** The caller's metrics (copied here). */
  customMetrics: JsonObject;
  generatedAt: string;
  lastCheckpointTime: number | null;
  itemsTotal: number | null;
  etaSeconds: number | null;
  currentRate: number | null;
  activeSeconds: number;
  /** The kept sessions, each already a copy. */
  sessions: SessionEntry[];
  sessionCount: number;
  eventsDropped: number;
}

/**
 * The file's JSON object: every seed key in the seed's order, then the additions. With
 * `shareCustomMetrics`, `custom_metrics` is `p.customMetrics` itself, not a copy: only for a
 * dictionary serialized at once and never handed to a caller (see
 * `ProcessSummary.summaryDictForWrite`); a deep copy of a large metric costs more than its JSON.
 */
export function buildSummaryDict(p: DictParts, shareCustomMetrics = false): SummaryDict {
  const errorTypes: Record<string, number> = {};
  const errorDetails: Record<string, ErrorDetail> = {};
  for (const [type, detail] of p.errors) {
    const copy = { ...detail, samples: [...detail.samples] };
    if (type === '__proto__') {
      setKey(errorTypes, type, detail.count);
      setKey(errorDetails, type, copy);
    } else {
      errorTypes[type] = detail.count;
      errorDetails[type] = copy;
    }
  }
  const { totals } = p;
  return {
    process_name: p.processName,
    run_name: p.runName,
    session_id: p.sessionId,
    start_time: p.startTime,
    end_time: p.endTime,
    duration_seconds: p.durationSeconds,
    is_completed: p.status === 'completed',
    items_processed: totals.items_processed,
    items_successful: totals.items_successful,
    items_failed: totals.items_failed,
    items_retried: totals.items_retried,
    bytes_processed: totals.bytes_processed,
    success_rate_percent: successRatePercent(totals.items_successful, totals.items_failed),
    processing_rate_per_second: p.processingRate,
    error_count: p.errorCount,
    error_types: errorTypes,
    last_error_message: p.lastErrorMessage,
    last_error_time: p.lastErrorTime,
    interruption_count: p.interruptionCount,
    progress_updates_count: p.progress.count,
    progress_updates: p.progress.kept().map(copyUpdate),
    custom_metrics: shareCustomMetrics ? p.customMetrics : structuredClone(p.customMetrics),
    generated_at: p.generatedAt,
    schema_version: SCHEMA_VERSION,
    status: p.status,
    last_checkpoint_time: p.lastCheckpointTime,
    items_total: p.itemsTotal,
    eta_seconds: p.etaSeconds,
    current_rate_per_second: p.currentRate,
    active_seconds: p.activeSeconds,
    session_count: p.sessionCount,
    sessions: p.sessions,
    error_details: errorDetails,
    events_dropped: p.eventsDropped,
    ...(p.worker === null ? {} : { worker: p.worker }),
  };
}

/** successful / (successful + failed) × 100, 2 places; 0 when nothing was attempted. */
export function successRatePercent(successful: number, failed: number): number {
  const attempted = successful + failed;
  return attempted > 0 ? roundHalfEven2((successful / attempted) * 100) : 0;
}

/** Items per second over `seconds`, 2 places; 0 for no time. */
export function ratePerSecond(items: number, seconds: number): number {
  return seconds > 0 ? roundHalfEven2(items / seconds) : 0;
}
