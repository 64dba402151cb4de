import type { FromDictOptions, ProcessSummary } from './summary.js';

/** Something a store noticed while loading and acted on (a quarantined file, a fallback). */
export interface StoreWarning {
  code: string;
  message: string;
  /** The file concerned, when the store has files. */
  path?: string;
}

/** What `load` returns for a summary that exists. */
export interface LoadResult {
  summary: ProcessSummary;
  warnings: StoreWarning[];
}

/** A (run, process) a store holds. */
export interface SummaryRef {
  runName: string;
  processName: string;
}

/**
 * Where summaries are kept. Implemented by `MemorySummaryStore` (here) and
 * `FileSummaryStore` (`@process-summary/store-fs`); one contract suite runs against both.
 */
export interface SummaryStore {
  /**
   * The summary of (run, process), or `null` when there is none. `options` (clock, limits,
   * threshold) are given to the loaded summary. Invalid names throw `E_INVALID_NAME`.
   */
  load(runName: string, processName: string, options?: FromDictOptions): Promise<LoadResult | null>;
  /**
   * Persists the summary's current state and appends its pending journal events. Resolves
   * once the state at the time of the call is stored; concurrent calls coalesce.
   */
  save(summary: ProcessSummary): Promise<void>;
  /** Removes the summary (the seed's cleanup); resolves `true` if there was one. */
  remove(runName: string, processName: string): Promise<boolean>;
  /** Every (run, process) held, sorted by run then process. */
  list(): Promise<SummaryRef[]>;
  /**
   * Sets the summary aside (never deletes it) so the run can start fresh; resolves where it
   * went (a path, a key), or `null` when there was none. Optional: `fresh: true` needs it.
   */
  archive?(runName: string, processName: string): Promise<string | null>;
}
