/**
 * One read of the store for an evaluation: every summary (or those of some processes) made a
 * row as `list` shows it, with its custom metrics. A store with `readMany` (a database) is
 * read in chunks, one round trip each; any other one summary at a time, 8 at once. A summary
 * that cannot be read is reported as unknown (its alerts stay as they are), never thrown;
 * a listing that fails is thrown (nothing may resolve when the store is unreachable).
 */

import type { Logger } from '@process-summary/core';
import {
  hasErrorCode,
  type ReadResult,
  refName,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import {
  groupWorkers,
  judgeStatus,
  needsOwnerStatus,
  type SummaryRow,
  summaryRow,
} from '@process-summary/inspect';
import { rowKey } from './history.js';

/** A summary as the engine judges it. */
export interface Target {
  row: SummaryRow;
  /** The custom metrics of the summary, or of each worker of a merged row. */
  customMetrics: Record<string, unknown>[];
}

/** What one read of the store gave. */
export interface Reading {
  /** One per process (workers merged). */
  processes: Target[];
  /** One per worker summary. */
  workers: Target[];
  /** Keys (see `rowKey`) of summaries that could not be judged, and of their processes. */
  unknown: Set<string>;
  /** Summaries read. */
  count: number;
}

/** A process of a run. */
export interface ProcessRef {
  run: string;
  process: string;
}

const CHUNK = 1000;

/**
 * The last read of each summary, by `rowKey`, with the listing's `writtenAt` it was read at.
 * A summary whose `writtenAt` has not changed is judged again from it (as of the new `now`:
 * all a stall or staleness needs) instead of being read again. Only when it was read after the
 * second it was written: a clock too coarse to tell two writes of the same second apart
 * then cannot hide the second one. Processes `watch` reported (`scope`) are always read.
 */
export type ReadCache = Map<string, { writtenAt: number; readAt: number; read: ReadResult }>;

/** Reads every summary of `store` (or of `scope`) and judges it as of `now`. */
export async function readTargets(
  store: SummaryStore,
  options: {
    now: number;
    staleAfterSeconds: number;
    scope: readonly ProcessRef[] | null;
    logger: Logger;
    cache?: ReadCache;
  },
): Promise<Reading> {
  const { scope, logger } = options;
  const cache = options.cache;
  const listed: SummaryRef[] = [];
  const cached: { ref: SummaryRef; read: ReadResult }[] = [];
  const writtenAt = new Map<string, number>();
  const listedKeys = new Set<string>();
  const unknown = new Set<string>();
  const runs = scope === null ? [null] : [...new Set(scope.map((p) => p.run))];
  for (const run of runs) {
    const listing = await store.list(run === null ? {} : { runName: run });
    for (const s of listing.summaries) {
      if (
        scope !== null &&
        !scope.some((p) => p.run === s.runName && p.process === s.processName)
      ) {
        continue;
      }
      const ref = { runName: s.runName, processName: s.processName, worker: s.worker ?? null };
      const key = rowKey(ref.runName, ref.processName, ref.worker);
      listedKeys.add(key);
      if (!s.hasSummary) {
        unknown.add(key);
        continue;
      }
      const hit = cache?.get(key);
      if (
        scope === null &&
        s.writtenAt !== null &&
        hit !== undefined &&
        hit.writtenAt === s.writtenAt &&
        hit.readAt > hit.writtenAt
      ) {
        cached.push({ ref, read: hit.read });
        continue;
      }
      if (s.writtenAt !== null) writtenAt.set(key, s.writtenAt);
      listed.push(ref);
    }
  }

  const singles: Target[] = [];
  const judge = async (ref: SummaryRef, read: ReadResult | null) => {
    const key = rowKey(ref.runName, ref.processName, ref.worker ?? null);
    try {
      if (read === null || read.dict === null) {
        cache?.delete(key);
        unknown.add(key);
        return;
      }
      const at = writtenAt.get(key);
      if (cache !== undefined && at !== undefined)
        cache.set(key, { writtenAt: at, readAt: options.now, read });
      const owner = needsOwnerStatus(read)
        ? await store.ownerStatus(ref, { staleAfterSeconds: options.staleAfterSeconds })
        : null;
      const judgement = judgeStatus(read, owner, {
        now: options.now,
        staleAfterSeconds: options.staleAfterSeconds,
      });
      const custom = (read.dict as Record<string, unknown>).custom_metrics;
      singles.push({
        row: summaryRow(read, judgement),
        customMetrics: [
          typeof custom === 'object' && custom !== null && !Array.isArray(custom)
            ? (custom as Record<string, unknown>)
            : {},
        ],
      });
    } catch (err) {
      unknownAfter(ref, err);
    }
  };
  const unknownAfter = (ref: SummaryRef, err: unknown) => {
    if (hasErrorCode(err, 'E_INVALID_NAME')) return;
    unknown.add(rowKey(ref.runName, ref.processName, ref.worker ?? null));
    logger.warn(
      { summary: refName(ref), error: err instanceof Error ? err.message : String(err) },
      'alerts: a summary could not be read; its alerts stay as they are',
    );
  };
  const readMany = store.readMany?.bind(store);
  if (readMany !== undefined) {
    for (let start = 0; start < listed.length; start += CHUNK) {
      const refs = listed.slice(start, start + CHUNK);
      let reads: (ReadResult | null)[];
      try {
        reads = await readMany(refs, { full: false });
      } catch (err) {
        for (const ref of refs) unknownAfter(ref, err);
        continue;
      }
      await mapLimit(refs, 8, (ref, i) => judge(ref, reads[i] ?? null));
    }
  } else {
    await mapLimit(listed, 8, async (ref) => {
      let read: ReadResult | null;
      try {
        read = await store.read(ref, { full: false });
      } catch (err) {
        unknownAfter(ref, err);
        return;
      }
      await judge(ref, read);
    });
  }

  await mapLimit(cached, 8, ({ ref, read }) => judge(ref, read));
  if (cache !== undefined) {
    // Forget summaries no longer listed (removed, archived) in what this reading covered.
    for (const key of cache.keys()) {
      if (listedKeys.has(key)) continue;
      const [run, process] = JSON.parse(key) as [string, string, string | null];
      if (scope === null || scope.some((p) => p.run === run && p.process === process))
        cache.delete(key);
    }
  }

  singles.sort((a, b) => compareRows(a.row, b.row));
  for (const key of [...unknown]) {
    const [run, process] = JSON.parse(key) as [string, string, string | null];
    unknown.add(rowKey(run, process, null));
  }
  const metricsByProcess = new Map<string, Record<string, unknown>[]>();
  for (const t of singles) {
    const key = rowKey(t.row.run_name, t.row.process_name, null);
    metricsByProcess.set(key, [...(metricsByProcess.get(key) ?? []), ...t.customMetrics]);
  }
  const processes = groupWorkers(singles.map((t) => t.row)).map((row) => ({
    row,
    customMetrics: metricsByProcess.get(rowKey(row.run_name, row.process_name, null)) ?? [],
  }));
  return {
    processes,
    workers: singles.filter((t) => t.row.worker !== null),
    unknown,
    count: singles.length,
  };
}

function compareRows(a: SummaryRow, b: SummaryRow): number {
  const x = JSON.stringify([a.run_name, a.process_name, a.worker ?? '']);
  const y = JSON.stringify([b.run_name, b.process_name, b.worker ?? '']);
  return x < y ? -1 : x > y ? 1 : 0;
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
