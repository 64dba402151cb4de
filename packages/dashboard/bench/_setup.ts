/**
 * What the dashboard's benchmarks share: a store of realistic summaries, a dashboard server in
 * a child process (its CPU time and memory are then its own, and it shares no event loop with
 * the clients or the pipeline), and percentiles.
 *
 * `BENCH_QUICK=1`: the same cases, shorter (fewer rounds, fewer saves, a few seconds of
 * sustained saving instead of 30), to check that the benchmarks run; the doc quotes full runs.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stats } from '@process-summary/bench-kit';
import { createManualClock, ProcessSummary } from '@process-summary/core';

export const quick = process.env.BENCH_QUICK === '1';

const here = dirname(fileURLToPath(import.meta.url));
export const repoDir = join(here, '..', '..', '..');

/**
 * The `summary-inspect` binary of this checkout. Not a dependency of this package (the CLI
 * depends on the dashboard): the benchmark that compares with it needs it built (`pnpm build`).
 */
export function cliBinary(): string {
  const binary = join(repoDir, 'packages', 'cli', 'bin', 'summary-inspect.js');
  if (!existsSync(join(repoDir, 'packages', 'cli', 'dist', 'summary-inspect.js'))) {
    throw new Error('packages/cli is not built: run `pnpm build` at the repository root first');
  }
  return binary;
}

/** A realistic summary: 20 progress updates, 3 error types, a finished session (as the CLI's list bench). */
export function templateDict(): Record<string, unknown> {
  const clock = createManualClock(Date.now() / 1000 - 7200);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess();
  summary.setItemsTotal(20_000);
  for (let i = 0; i < 20; i++) {
    clock.advance(30);
    summary.incrementItems({ processed: 1000, successful: 990, failed: 10 });
    summary.addError(
      ['NetworkError', 'ValidationError', 'S3UploadError'][i % 3] as string,
      `failure ${i}`,
    );
    summary.addProgressUpdate(`Processing batch ${i}`, { batch_size: 1000 });
  }
  summary.endProcess();
  return summary.getSummaryDict() as unknown as Record<string, unknown>;
}

/**
 * Writes `count` summaries under `root`, 100 processes per run, as finished summary files (the
 * store's layout is written here only because 10,000 saves through the store would take
 * minutes of set-up; the store reads them as its own).
 */
export function writeSummaries(root: string, count: number, perRun = 100): void {
  const dict = templateDict();
  const runs = Math.ceil(count / perRun);
  for (let i = 0; i < count; i++) {
    const runName = `run_${String(i % runs).padStart(4, '0')}`;
    const processName = `process_${Math.floor(i / runs)}`;
    const dir = join(root, runName);
    if (i < runs) mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `process_summary_${processName}.json`),
      `${JSON.stringify({ ...dict, run_name: runName, process_name: processName }, null, 2)}\n`,
    );
  }
}

/** What the server child reports of itself. */
export interface ServerStats {
  rss: number;
  heapUsed: number;
  /** User + system CPU time since it started, microseconds. */
  cpuMicros: number;
}

/** A dashboard server in a child process. */
export interface ServerChild {
  url: string;
  child: ChildProcess;
  stats(): Promise<ServerStats>;
  /** A full garbage collection in the server (it runs with --expose-gc), before reading memory. */
  gc(): Promise<void>;
  close(): Promise<void>;
}

function ask<T>(child: ChildProcess, message: string, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type?: string }) => {
      if (m?.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

/** Starts `_server.mjs` over `root`; resolves once it listens. */
export async function startServer(root: string): Promise<ServerChild> {
  const child = fork(join(here, '_server.mjs'), [root], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined)
        resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return {
    url,
    child,
    stats: () => ask<ServerStats>(child, 'stats', 'stats'),
    gc: async () => {
      await ask(child, 'gc', 'gc');
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

/** The value at quantile `q` of `sorted` (ascending). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** A row that is a count or a size, not a time: the report shows its note. */
export const NOT_A_TIME: Stats = { medianNs: 0, p99Ns: 0, samples: 0 };

/** Epoch milliseconds with sub-millisecond resolution (the browser's `timeOrigin + now()` too). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
