import type { JsonObject, JsonValue } from './json.js';

/** The `schema_version` this package writes. A file without one is a seed-format file. */
export const SCHEMA_VERSION = 1;

/** Where a run stands. */
export type SummaryStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** How a process ends when it calls `endProcess`. */
export type ProcessOutcome = 'completed' | 'failed';

/**
 * How a session (one process lifetime) ended. `null` while it runs.
 * - `completed` / `failed`: `endProcess` was called.
 * - `signal`: SIGINT/SIGTERM recorded by the handler before the process exited.
 * - `exit`: the process exited normally without calling `endProcess`.
 * - `crash`: the owner died without a clean record (kill -9, OOM, power loss).
 * - `reboot`: the host rebooted (boot id changed) while it ran.
 * - `stale`: owned from another host whose heartbeat went silent past the threshold.
 * - `checkpoint_gap`: the seed's rule, no checkpoint for longer than the threshold.
 */
export type SessionEndReason =
  | 'completed'
  | 'failed'
  | 'signal'
  | 'exit'
  | 'crash'
  | 'reboot'
  | 'stale'
  | 'checkpoint_gap';

/** The reasons that count as an interruption. */
export type InterruptionReason = Exclude<SessionEndReason, 'completed' | 'failed'>;

/** Who runs a session; the recovery package fills it in (core never reads `process`). */
export interface SessionContext {
  host?: string | null;
  pid?: number | null;
  bootId?: string | null;
}

/** One process lifetime of a (run, process), as stored in the file. */
export interface SessionEntry {
  /** 1 for the first session of the run, then 2, 3, … */
  number: number;
  /** Unix seconds when it started, like the seed's `session_id`. */
  session_id: number;
  host: string | null;
  pid: number | null;
  boot_id: string | null;
  start_time: number;
  /** When it ended; for a crash, its last sign of life. */
  end_time: number | null;
  /** end − start, or elapsed so far while it runs. */
  duration_seconds: number;
  end_reason: SessionEndReason | null;
  /** The signal that ended it, for `end_reason: 'signal'`. */
  signal: string | null;
  /** What this session alone did. */
  items_processed: number;
  items_successful: number;
  items_failed: number;
  items_retried: number;
  bytes_processed: number;
}

/** A progress update as stored: the seed's fields plus the caller's extra fields. */
export interface ProgressUpdate {
  timestamp: number;
  elapsed_seconds: number;
  message: string;
  items_processed: number;
  items_successful: number;
  items_failed: number;
  [extra: string]: JsonValue;
}

/** What is known of one error type beyond its count. */
export interface ErrorDetail {
  count: number;
  first_seen: number;
  last_seen: number;
  /** Up to `maxErrorSamples` distinct messages, the first seen first. */
  samples: string[];
}

/**
 * The summary file's JSON object: every key of the seed's summary dictionary, with the same
 * name, type and meaning, then this package's additions.
 */
export interface SummaryDict {
  process_name: string;
  run_name: string;
  session_id: number;
  start_time: number;
  end_time: number | null;
  duration_seconds: number | null;
  is_completed: boolean;
  items_processed: number;
  items_successful: number;
  items_failed: number;
  items_retried: number;
  bytes_processed: number;
  success_rate_percent: number;
  processing_rate_per_second: number;
  error_count: number;
  error_types: Record<string, number>;
  last_error_message: string | null;
  last_error_time: number | null;
  interruption_count: number;
  progress_updates_count: number;
  progress_updates: ProgressUpdate[];
  custom_metrics: JsonObject;
  generated_at: string;
  // Additions (schema_version 1).
  schema_version: number;
  status: SummaryStatus;
  last_checkpoint_time: number | null;
  items_total: number | null;
  eta_seconds: number | null;
  /** Items per second of the current session only; null when no session runs. */
  current_rate_per_second: number | null;
  /** Time spent running, summed over sessions (downtime between sessions excluded). */
  active_seconds: number;
  session_count: number;
  sessions: SessionEntry[];
  error_details: Record<string, ErrorDetail>;
  /** Journal events dropped because more than `maxPendingEvents` waited for a save. */
  events_dropped: number;
  /** The worker (shard) this summary tracks; absent for a process run as one. */
  worker?: string;
  /**
   * The lease epoch (fencing token) of the owner that wrote this file; written by the store,
   * absent from unfenced writes. A reader takes the highest epoch it finds.
   */
  owner_epoch?: number;
}

/** A validated dictionary: the seed's keys always, the additions when the file has them. */
export type ValidatedDict = Omit<
  SummaryDict,
  | 'schema_version'
  | 'status'
  | 'last_checkpoint_time'
  | 'items_total'
  | 'eta_seconds'
  | 'current_rate_per_second'
  | 'active_seconds'
  | 'session_count'
  | 'sessions'
  | 'error_details'
  | 'events_dropped'
> &
  Partial<SummaryDict>;

/** `getProgressSummary()`: `{}` when there is no update. */
export type ProgressSummary =
  | Record<string, never>
  | {
      total_updates: number;
      recent_updates: ProgressUpdate[];
      first_update: ProgressUpdate;
      latest_update: ProgressUpdate;
    };

/**
 * The run's counters at one moment, as journal events carry them (the run's totals, not what
 * one session did), so that the counters can be rebuilt from the journal alone.
 */
export interface RunTotals {
  items_processed: number;
  items_successful: number;
  items_failed: number;
  items_retried: number;
  bytes_processed: number;
}

/**
 * One line of the append-only journal: the complete history the bounded file leaves out.
 * Progress, session start and session end events carry the run's totals at that moment
 * ({@link RunTotals}); the ones marked optional are absent from journals written before
 * they were added.
 */
export type SummaryEvent =
  | ({ type: 'progress' } & ProgressUpdate &
      Partial<Pick<RunTotals, 'items_retried' | 'bytes_processed'>>)
  | { type: 'error'; time: number; error_type: string; message: string }
  | ({ type: 'session_start'; time: number; session: SessionEntry } & Partial<RunTotals>)
  | ({
      type: 'session_end';
      time: number;
      number: number;
      end_reason: SessionEndReason;
      signal: string | null;
    } & Partial<RunTotals>)
  | { type: 'interruption'; time: number; reason: InterruptionReason; detail: string };
