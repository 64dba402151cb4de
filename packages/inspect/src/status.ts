/**
 * The status a person needs to see, which the stored summary alone cannot say: a summary
 * that says `running` may belong to a process that died (`crashed`) or whose liveness cannot
 * be judged (`stale`), and a completed one may have failed items (`completed_with_failures`).
 * Pure: the caller reads the summary and, only for a running one, asks the store for its
 * owner's status.
 */
import {
  codedRangeError,
  codedTypeError,
  type OwnerInfo,
  type OwnerStatus,
  type ReadResult,
  type SummaryStatus,
} from '@process-summary/core';
import { formatUtc, humanizeSeconds } from './time.js';

/** What `list`, `show`, `check` and the exports display. */
export type DisplayStatus =
  | 'running'
  | 'stale'
  | 'crashed'
  | 'completed'
  | 'completed_with_failures'
  | 'failed'
  | 'interrupted';

/** Every display status, in the order exports list them. */
export const DISPLAY_STATUSES: readonly DisplayStatus[] = [
  'running',
  'stale',
  'crashed',
  'completed',
  'completed_with_failures',
  'failed',
  'interrupted',
];

const WORDS: Readonly<Record<DisplayStatus, string>> = {
  running: 'running',
  stale: 'stale',
  crashed: 'crashed',
  completed: 'completed',
  completed_with_failures: 'completed with failures',
  failed: 'failed',
  interrupted: 'interrupted',
};

/**
 * A status in words, the same in every view (a list, a detail, a live watch, a notification):
 * `completed with failures` for `completed_with_failures`.
 */
export function statusWords(status: DisplayStatus): string {
  return WORDS[status];
}

/** The default silence after which an unowned running summary is `stale`: 5 minutes (the seed's threshold). */
export const DEFAULT_STALE_AFTER_SECONDS = 300;

/** The displayed status and why. */
export interface StatusJudgement {
  status: DisplayStatus;
  /** The status stored in the summary (derived from `is_completed` for a seed-format file). */
  fileStatus: SummaryStatus;
  /**
   * Why `crashed` or `stale`, one sentence (not escaped); for a `running` summary whose live
   * owner has not saved past the threshold, that silence; `null` otherwise.
   */
  reason: string | null;
  /**
   * When the summary was last saved, epoch seconds: its `generated_at` (a real date even in
   * seed-format files), else when the store says it was written; `null` when neither is known.
   */
  lastUpdate: number | null;
  /** Seconds from `lastUpdate` to now (never negative); `null` when `lastUpdate` is. */
  silentSeconds: number | null;
  /** The owner the store knows of, for a running summary. */
  owner: OwnerInfo | null;
  /**
   * Whether the run is live: only then do a current rate and an ETA mean anything. A crashed
   * or stale run has neither, whatever its last save said.
   */
  live: boolean;
}

/** Options of {@link judgeStatus}. */
export interface StatusOptions {
  /** Now, epoch seconds. */
  now: number;
  /** Silence after which an unowned running summary is stale. Default {@link DEFAULT_STALE_AFTER_SECONDS}. */
  staleAfterSeconds?: number | undefined;
}

type DictLike = Readonly<Record<string, unknown>>;

/** The status stored in the summary; a seed-format summary has only `is_completed`. */
export function fileStatusOf(dict: DictLike): SummaryStatus {
  const status = dict.status;
  if (
    status === 'running' ||
    status === 'completed' ||
    status === 'failed' ||
    status === 'interrupted'
  ) {
    return status;
  }
  return dict.is_completed === true ? 'completed' : 'running';
}

/** When the summary was last saved, epoch seconds: `generated_at`, else the store's write time. */
export function lastUpdateOf(read: Pick<ReadResult, 'dict' | 'writtenAt'>): number | null {
  const generated = (read.dict as DictLike | null)?.generated_at;
  const ms = typeof generated === 'string' ? Date.parse(generated) : Number.NaN;
  if (Number.isFinite(ms)) return ms / 1000;
  return read.writtenAt;
}

/**
 * Whether judging `read` needs the owner's status: only a summary that says it is running
 * can have crashed. Callers ask the store (`ownerStatus`) only then, which keeps a listing of
 * 10,000 finished runs free of owner look-ups.
 */
export function needsOwnerStatus(read: Pick<ReadResult, 'dict'>): boolean {
  return read.dict !== null && fileStatusOf(read.dict as DictLike) === 'running';
}

/**
 * Judges the displayed status of a usable summary (`read.dict` not null; `E_INVALID_ARGUMENT`
 * otherwise). For a summary that says `running`:
 * - owner `dead` → `crashed`, with the store's reason;
 * - owner `alive` → `running` (a silence past the threshold is given as the reason);
 * - owner `unknown` or `none` (or not asked) → `running` while the summary was saved within
 *   `staleAfterSeconds`, else `stale`: nothing can tell whether its writer still lives.
 *
 * The silence is measured from the same `lastUpdate` a renderer shows as "last update", so
 * the two always agree.
 */
export function judgeStatus(
  read: Pick<ReadResult, 'dict' | 'writtenAt'>,
  owner: OwnerStatus | null,
  options: StatusOptions,
): StatusJudgement {
  if (read.dict === null) {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      'inspect: judgeStatus needs a usable summary (read.dict is null; show read.problem instead)',
    );
  }
  const staleAfter = options.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS;
  if (!Number.isFinite(options.now) || !Number.isFinite(staleAfter) || staleAfter < 0) {
    throw codedRangeError(
      'E_INVALID_ARGUMENT',
      `inspect: judgeStatus needs a finite now and staleAfterSeconds >= 0 (got ${options.now}, ${staleAfter})`,
    );
  }
  const dict = read.dict as DictLike;
  const fileStatus = fileStatusOf(dict);
  let lastUpdate = lastUpdateOf(read);
  // A save time further ahead than the threshold is not believed (a writer whose clock was
  // stepped forward, or a forged file, would read as running until that date): when the store
  // knows when it wrote the file (its modification time, stamped by the file system), that is
  // the last update.
  if (
    lastUpdate !== null &&
    lastUpdate - options.now > staleAfter &&
    typeof read.writtenAt === 'number' &&
    Number.isFinite(read.writtenAt)
  ) {
    lastUpdate = read.writtenAt;
  }
  const silentSeconds = lastUpdate === null ? null : Math.max(0, options.now - lastUpdate);
  const base: StatusJudgement = {
    status: fileStatus,
    fileStatus,
    reason: null,
    lastUpdate,
    silentSeconds,
    owner: null,
    live: false,
  };
  if (fileStatus === 'completed') {
    const failed = dict.items_failed;
    return typeof failed === 'number' && failed > 0
      ? { ...base, status: 'completed_with_failures' }
      : base;
  }
  if (fileStatus !== 'running') return base;

  const withOwner = { ...base, owner: owner?.owner ?? null };
  if (owner?.state === 'dead') {
    return { ...withOwner, status: 'crashed', reason: owner.reason };
  }
  const silence =
    lastUpdate === null
      ? 'no known save time'
      : `no save for ${humanizeSeconds(silentSeconds ?? 0)} (last update ${formatUtc(lastUpdate)})`;
  const quiet = silentSeconds === null || silentSeconds > staleAfter;
  if (owner?.state === 'alive') {
    // The store sees the owner alive, so the run is running; a long silence (a hung or
    // stopped process) is said, not turned into another status.
    return { ...withOwner, live: true, reason: quiet ? `${owner.reason}, but ${silence}` : null };
  }
  if (!quiet) {
    // Recent, so running; an owner that cannot be judged (an odd or unreadable record) is said.
    return owner?.state === 'unknown'
      ? { ...withOwner, live: true, reason: `its owner cannot be judged (${owner.reason})` }
      : { ...withOwner, live: true };
  }
  const who =
    owner?.state === 'unknown' ? `its owner cannot be judged (${owner.reason})` : 'it has no owner';
  return { ...withOwner, status: 'stale', reason: `${who} and ${silence}` };
}
