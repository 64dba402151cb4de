/**
 * The detail view model of one summary (what `show`, the dashboard's run page and an alert's
 * body render): its row plus timing, errors by type with their shares, the last error,
 * recent progress, custom metrics and sessions. Values, not strings: no terminal codes, no
 * escaping; renderers escape for their medium and turn times into text with `displayTime`.
 */
import type {
  JsonObject,
  ProgressUpdate,
  ReadResult,
  SessionEntry,
  SummaryRef,
  SummaryStore,
} from '@process-summary/core';
import {
  type RowOptions,
  readRow,
  type SummaryRow,
  summaryRow,
  type UnusableSummary,
  unusableOf,
} from './rows.js';
import type { StatusJudgement } from './status.js';
import { mergeWorkers } from './workers.js';

/** The errors of one type. */
export interface ErrorTypeView {
  type: string;
  count: number;
  /**
   * Percent of all errors, rounded down to 2 places: never above 100, and the shares of all
   * types never add up to more than 100 (even when a file's counts disagree with its total).
   */
  share_percent: number;
  /** Distinct messages kept by the writer, the first seen first (not escaped). */
  samples: string[];
  first_seen: number | null;
  last_seen: number | null;
}

/** A recent progress update; `worker` says whose in a merged view. */
export type ProgressView = ProgressUpdate & { worker?: string };

/** Everything about one summary (or one process with workers, merged). */
export interface DetailView extends SummaryRow {
  /** By count, then type. */
  errors_by_type: ErrorTypeView[];
  last_error: { message: string; time: number | null } | null;
  /** Percent of `items_total` processed (at most 100), or `null` without a total. */
  progress_percent: number | null;
  progress_updates_count: number;
  /** The latest updates, oldest first (at most {@link RECENT_UPDATES}). */
  recent_progress_updates: ProgressView[];
  custom_metrics: JsonObject;
  sessions: SessionEntry[];
  /** A merged view's per-worker details, sorted by worker; empty otherwise. */
  workers: DetailView[];
}

/** How many recent progress updates a detail view carries. */
export const RECENT_UPDATES = 5;

type DictLike = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rounds down to 2 places, so that rounded shares never add up past their whole. */
function floor2(value: number): number {
  return Math.floor(value * 100 + 1e-9) / 100;
}

/**
 * The errors by type with their shares of the whole. The whole is the larger of the stored
 * total and the sum of the per-type counts, so no share exceeds 100% even in a file whose
 * counts disagree.
 */
export function errorsByType(
  errorTypes: Readonly<Record<string, number>>,
  errorCount: number,
  details: Readonly<Record<string, unknown>> = {},
): ErrorTypeView[] {
  const entries = Object.entries(errorTypes);
  const whole = Math.max(
    errorCount,
    entries.reduce((sum, [, count]) => sum + count, 0),
  );
  return entries
    .map(([type, count]) => {
      const detail = Object.hasOwn(details, type) ? details[type] : undefined;
      const d = isObject(detail) ? detail : {};
      return {
        type,
        count,
        share_percent: whole > 0 ? floor2((count / whole) * 100) : 0,
        samples: Array.isArray(d.samples) ? d.samples.filter((s) => typeof s === 'string') : [],
        first_seen: typeof d.first_seen === 'number' ? d.first_seen : null,
        last_seen: typeof d.last_seen === 'number' ? d.last_seen : null,
      };
    })
    .sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

function progressPercent(row: SummaryRow): number | null {
  if (row.items_total === null || row.items_total <= 0) return null;
  return Math.min(100, (row.items_processed / row.items_total) * 100);
}

/** The detail view of a usable summary, read in full, and its judgement. */
export function detailOf(read: ReadResult, judgement: StatusJudgement): DetailView {
  const row = summaryRow(read, judgement);
  const d = (read.dict ?? {}) as DictLike;
  const updates = Array.isArray(d.progress_updates) ? (d.progress_updates as ProgressUpdate[]) : [];
  const message = d.last_error_message;
  return {
    ...row,
    errors_by_type: errorsByType(
      row.error_types,
      row.error_count,
      isObject(d.error_details) ? d.error_details : {},
    ),
    last_error:
      typeof message === 'string'
        ? {
            message,
            time: typeof d.last_error_time === 'number' ? d.last_error_time : null,
          }
        : null,
    progress_percent: progressPercent(row),
    progress_updates_count:
      typeof d.progress_updates_count === 'number' ? d.progress_updates_count : updates.length,
    recent_progress_updates: updates.slice(-RECENT_UPDATES),
    custom_metrics: isObject(d.custom_metrics) ? (d.custom_metrics as JsonObject) : {},
    sessions: Array.isArray(d.sessions) ? (d.sessions as SessionEntry[]) : [],
    workers: [],
  };
}

/**
 * The merged detail view of one process's workers: the merged row (see `mergeWorkers`),
 * errors merged by type (samples of every worker, earliest first seen, latest last seen),
 * the latest progress updates of all workers (each naming its worker) and the latest error.
 * Sessions and custom metrics stay per worker, in `workers`.
 */
export function mergeDetails(details: readonly DetailView[]): DetailView {
  const row = mergeWorkers(details);
  const merged = new Map<
    string,
    { samples: string[]; first: number | null; last: number | null }
  >();
  for (const detail of details) {
    for (const e of detail.errors_by_type) {
      const m = merged.get(e.type) ?? { samples: [], first: null, last: null };
      for (const s of e.samples) if (!m.samples.includes(s)) m.samples.push(s);
      if (e.first_seen !== null)
        m.first = m.first === null ? e.first_seen : Math.min(m.first, e.first_seen);
      if (e.last_seen !== null)
        m.last = m.last === null ? e.last_seen : Math.max(m.last, e.last_seen);
      merged.set(e.type, m);
    }
  }
  const errors = errorsByType(row.error_types, row.error_count).map((e) => {
    const m = merged.get(e.type);
    return m === undefined
      ? e
      : { ...e, samples: m.samples, first_seen: m.first, last_seen: m.last };
  });
  const updates = details
    .flatMap((d) =>
      d.recent_progress_updates.map((u) => (d.worker === null ? u : { ...u, worker: d.worker })),
    )
    .sort((a, b) => a.timestamp - b.timestamp)
    .slice(-RECENT_UPDATES);
  const lastErrors = details
    .map((d) => d.last_error)
    .filter((e): e is { message: string; time: number | null } => e !== null)
    .sort((a, b) => (a.time ?? -Infinity) - (b.time ?? -Infinity));
  const byWorker = [...details].sort((a, b) =>
    (a.worker ?? '') < (b.worker ?? '') ? -1 : (a.worker ?? '') > (b.worker ?? '') ? 1 : 0,
  );
  return {
    ...row,
    errors_by_type: errors,
    last_error: lastErrors[lastErrors.length - 1] ?? null,
    progress_percent: progressPercent(row),
    progress_updates_count: details.reduce((sum, d) => sum + d.progress_updates_count, 0),
    recent_progress_updates: updates,
    custom_metrics: {},
    sessions: [],
    workers: byWorker,
  };
}

/** What {@link readDetail} returns: the view, and what could not be read. */
export interface DetailRead {
  /** `null` when nothing usable was found (see `unusable`). */
  detail: DetailView | null;
  /** Summaries that could not be used (a worker among others, or the one asked for). */
  unusable: UnusableSummary[];
}

/**
 * Reads the detail of `ref` in full. A ref without a worker whose process has no summary of
 * its own but has workers gives the merged view of its workers (one `list` of the run, then
 * one read per worker). Never throws for a bad or missing summary; store errors propagate.
 */
export async function readDetail(
  store: SummaryStore,
  ref: SummaryRef,
  options: RowOptions,
): Promise<DetailRead> {
  const full = { ...options, full: options.full ?? true };
  const one = await readRow(store, ref, full);
  if (one.row !== null) return { detail: detailOf(one.read, one.judgement), unusable: [] };
  if (ref.worker != null || one.unusable.status !== 'missing') {
    return { detail: null, unusable: [one.unusable] };
  }
  const listing = await store.list({ runName: ref.runName });
  const workers = listing.summaries.filter(
    (s) => s.processName === ref.processName && s.worker != null,
  );
  if (workers.length === 0) return { detail: null, unusable: [unusableOf(ref, one.read)] };
  const details: DetailView[] = [];
  const unusable: UnusableSummary[] = [];
  for (const listed of workers) {
    const read = await readRow(
      store,
      { runName: listed.runName, processName: listed.processName, worker: listed.worker ?? null },
      full,
    );
    if (read.row !== null) details.push(detailOf(read.read, read.judgement));
    else unusable.push(read.unusable);
  }
  return { detail: details.length === 0 ? null : mergeDetails(details), unusable };
}
