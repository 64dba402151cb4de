/**
 * What the alerter remembers between evaluations about each summary (not about each alert):
 * when its items processed last changed, and samples of its counters for windowed error
 * rates. Kept in memory only: after a restart, progress is dated from the last save (nothing
 * can have changed after it) and windows fill up again.
 */
import type { SummaryRow } from '@process-summary/inspect';

/** A summary's key: run, process and worker (`null` for a single or merged row). */
export function rowKey(run: string, process: string, worker: string | null): string {
  return JSON.stringify([run, process, worker]);
}

interface Progress {
  processed: number;
  since: number;
}
interface Sample {
  time: number;
  successful: number;
  failed: number;
}

/** Counters over a window: what was attempted and failed in it. */
export interface WindowCounts {
  successful: number;
  failed: number;
}

/** Per-summary memory of progress and counters. */
export class RowHistory {
  readonly #progress = new Map<string, Progress>();
  readonly #samples = new Map<string, Sample[]>();

  /**
   * Records `row` as seen at `now`; `keepSeconds` is the longest window any rule asks for.
   * Progress starts from the row's last save (or `now` when unknown).
   */
  observe(row: SummaryRow, now: number, keepSeconds: number): void {
    const key = rowKey(row.run_name, row.process_name, row.worker);
    const changedAt = Math.min(row.last_update_time ?? now, now);
    const progress = this.#progress.get(key);
    if (progress === undefined || progress.processed !== row.items_processed) {
      this.#progress.set(key, { processed: row.items_processed, since: changedAt });
    }
    let samples = this.#samples.get(key) ?? [];
    const last = samples[samples.length - 1];
    if (
      last !== undefined &&
      (row.items_successful < last.successful || row.items_failed < last.failed)
    ) {
      // The counters went back: a fresh run under the same name; its window starts over.
      samples = [];
    }
    if (
      last === undefined ||
      samples.length === 0 ||
      last.successful !== row.items_successful ||
      last.failed !== row.items_failed
    ) {
      samples.push({ time: now, successful: row.items_successful, failed: row.items_failed });
    }
    // Keep one sample at or before the longest window's start: the baseline of that window.
    const horizon = now - keepSeconds;
    let drop = 0;
    while (drop + 1 < samples.length && (samples[drop + 1] as Sample).time <= horizon) drop += 1;
    if (drop > 0) samples = samples.slice(drop);
    this.#samples.set(key, samples);
  }

  /** When the items processed of `row` last changed, epoch seconds; `null` if never observed. */
  progressSince(row: SummaryRow): number | null {
    return this.#progress.get(rowKey(row.run_name, row.process_name, row.worker))?.since ?? null;
  }

  /**
   * Successful and failed items over the last `windowSeconds` before `now`: against the
   * latest sample at or before the window's start; a run that started inside the window
   * counts from zero; otherwise from the oldest sample (the window is not full yet).
   */
  windowCounts(row: SummaryRow, windowSeconds: number, now: number): WindowCounts {
    const samples = this.#samples.get(rowKey(row.run_name, row.process_name, row.worker)) ?? [];
    const start = now - windowSeconds;
    let base: Sample | null = null;
    for (const sample of samples) {
      if (sample.time <= start) base = sample;
    }
    if (base === null) {
      base =
        row.time_base === 'epoch' && row.start_time >= start
          ? { time: row.start_time, successful: 0, failed: 0 }
          : (samples[0] ?? null);
    }
    if (base === null) return { successful: 0, failed: 0 };
    return {
      successful: Math.max(0, row.items_successful - base.successful),
      failed: Math.max(0, row.items_failed - base.failed),
    };
  }

  /** Forgets every summary not in `keep` (removed ones), so memory follows the store. */
  retain(keep: ReadonlySet<string>): void {
    for (const map of [this.#progress, this.#samples]) {
      for (const key of map.keys()) if (!keep.has(key)) map.delete(key);
    }
  }
}
