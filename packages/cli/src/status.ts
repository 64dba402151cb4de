/**
 * The status a person needs to see, which the file alone cannot say: a summary whose status
 * is `running` may belong to a process that is gone (`stale`), and a completed one may have
 * failed items (`completed_with_failures`).
 */
import { isRelativeTime, type SummaryStatus, systemClock } from '@process-summary/core';
import { currentProcess, judge, ownerPathFor, readOwnerRecord } from '@process-summary/recovery';
import type { FileDict, SummaryFile } from './summary-file.js';

/** What `list`, `show`, `check` and `export` display. */
export type DisplayStatus =
  | 'running'
  | 'stale'
  | 'completed'
  | 'completed_with_failures'
  | 'failed'
  | 'interrupted';

/** Every display status, in the order the Prometheus export lists them. */
export const DISPLAY_STATUSES: readonly DisplayStatus[] = [
  'running',
  'stale',
  'completed',
  'completed_with_failures',
  'failed',
  'interrupted',
];

/** The displayed status and why. */
export interface StatusJudgement {
  status: DisplayStatus;
  /** The status stored in the file (derived from `is_completed` for a seed-format file). */
  fileStatus: SummaryStatus;
  /** Why `stale`, in words; null otherwise. */
  staleReason: string | null;
  /** The latest sign that the writer was alive: save, checkpoint or heartbeat (epoch s). */
  lastSignOfLife: number | null;
  /** The owner record's pid and host, while one exists. */
  owner: { pid: number; host: string } | null;
}

/** The default of `--stale-after`: the seed's interruption threshold, 5 minutes. */
export const DEFAULT_STALE_AFTER_SECONDS = 300;

/** The status stored in the file; a seed-format file has only `is_completed`. */
export function fileStatusOf(dict: FileDict): SummaryStatus {
  const status = dict.status;
  if (
    status === 'running' ||
    status === 'completed' ||
    status === 'failed' ||
    status === 'interrupted'
  ) {
    return status;
  }
  return dict.is_completed ? 'completed' : 'running';
}

/** `generated_at` (written at every save, a real date even in seed files) as epoch seconds. */
export function savedAt(dict: FileDict): number | null {
  const ms = typeof dict.generated_at === 'string' ? Date.parse(dict.generated_at) : Number.NaN;
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/** When the summary last changed, epoch seconds: its save time, else the file's mtime. */
export function lastUpdateOf(file: SummaryFile): number {
  return savedAt(file.dict) ?? file.mtimeSeconds;
}

/**
 * Judges the displayed status. A `running` summary is `stale` when recovery's owner record
 * names a process that is gone (crashed, rebooted, or silent past the threshold on another
 * host), or when there is no live owner and no sign of life (save, checkpoint, heartbeat)
 * for longer than `staleAfterSeconds`.
 */
export async function judgeStatus(
  file: SummaryFile,
  options: { staleAfterSeconds: number; nowSeconds: number },
): Promise<StatusJudgement> {
  const { dict } = file;
  const fileStatus = fileStatusOf(dict);
  const signs = [lastUpdateOf(file), file.mtimeSeconds];
  if (typeof dict.last_checkpoint_time === 'number' && !isRelativeTime(dict.last_checkpoint_time)) {
    signs.push(dict.last_checkpoint_time);
  }
  const base: StatusJudgement = {
    status: fileStatus,
    fileStatus,
    staleReason: null,
    lastSignOfLife: Math.max(...signs),
    owner: null,
  };
  if (fileStatus === 'completed') {
    return dict.items_failed > 0 ? { ...base, status: 'completed_with_failures' } : base;
  }
  if (fileStatus !== 'running') return base;

  let owner: Awaited<ReturnType<typeof readOwnerRecord>>;
  try {
    owner = await readOwnerRecord(ownerPathFor(file.path));
  } catch {
    owner = undefined; // unreadable owner record: judged by the signs of life alone
  }
  if (owner !== undefined) {
    const lastSignOfLife = Math.max(base.lastSignOfLife ?? 0, owner.heartbeat);
    const record = owner.record;
    const withOwner = {
      ...base,
      lastSignOfLife,
      owner: record === null ? null : { pid: record.pid, host: record.host },
    };
    const verdict = judge(
      record,
      owner.heartbeat,
      { clock: systemClock, staleAfterSeconds: options.staleAfterSeconds },
      currentProcess(),
    );
    if (!verdict.alive) return { ...withOwner, status: 'stale', staleReason: verdict.detail };
    // Alive but silent: a hung process stops its heartbeat too.
    const ownerSilence = options.nowSeconds - lastSignOfLife;
    if (ownerSilence > options.staleAfterSeconds) {
      const who = record === null ? 'the owner' : `owner pid ${record.pid} on ${record.host}`;
      return {
        ...withOwner,
        status: 'stale',
        staleReason: `${who} has given no sign of life for ${Math.round(ownerSilence)} seconds`,
      };
    }
    return withOwner;
  }
  const silence = options.nowSeconds - (base.lastSignOfLife ?? 0);
  if (silence > options.staleAfterSeconds) {
    return {
      ...base,
      status: 'stale',
      staleReason: `no owner record and no save or checkpoint for ${Math.round(silence)} seconds`,
    };
  }
  return base;
}
