import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createManualClock,
  type ManualClock,
  ProcessSummary,
  type SummaryEvent,
  type SummaryRef,
} from '@process-summary/core';
import type { FileSummaryStore } from '../src/index.js';
import type { Logger } from '../src/logger.js';

/** A fresh directory under the OS temp dir. */
export async function tempDir(prefix = 'store-fs-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A started summary on a manual clock. */
export function makeSummary(
  runName = 'harvard_2024',
  processName = 'collect',
  worker?: string,
): { summary: ProcessSummary; clock: ManualClock } {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName, processName, worker: worker ?? null, clock });
  summary.startProcess({ host: 'test-host', pid: 4242 });
  return { summary, clock };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that records every line. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Every well-formed journal event of (run, process), oldest first. */
export async function readAllEvents(
  store: FileSummaryStore,
  runName: string,
  processName: string,
): Promise<SummaryEvent[]> {
  const events: SummaryEvent[] = [];
  for await (const entry of store.readJournal({ runName, processName })) {
    if (entry.kind === 'event') events.push(entry.event);
  }
  return events;
}

/** Names in `dir` (sorted), `[]` when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Rejects unless `promise` rejects with `code`; returns the error. */
export async function rejection(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    const actual = (err as { code?: unknown }).code;
    if (actual !== code) {
      throw new Error(`expected code ${code}, got ${String(actual)}: ${(err as Error).message}`);
    }
    return err as Error;
  }
  throw new Error(`expected a rejection with ${code}`);
}

/** The refs of a listing that have a summary, as `{ runName, processName[, worker] }`. */
export async function listedRefs(store: FileSummaryStore): Promise<SummaryRef[]> {
  const listing = await store.list();
  return listing.summaries
    .filter((s) => s.hasSummary)
    .map(({ runName, processName, worker }) =>
      worker == null ? { runName, processName } : { runName, processName, worker },
    );
}
