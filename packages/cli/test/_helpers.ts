import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManualClock, type ManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';

const here = dirname(fileURLToPath(import.meta.url));
export const packageDir = join(here, '..');
export const binary = join(packageDir, 'bin', 'summary-inspect.js');
export const seedRuns = join(packageDir, '..', '..', 'fixtures', 'seed-format', 'runs');
export const writerScript = join(here, 'fixtures', 'writer.mjs');

/** A fresh root under the OS temp dir. */
export function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ps-cli-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Copies the seed-format fixtures (written by the Python original) into `root`. */
export function copySeedFixtures(root: string): void {
  cpSync(seedRuns, root, { recursive: true });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real binary (not a TTY: stdout is a pipe) and waits for it. */
export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [binary, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', PROCESS_SUMMARY_ROOT: '', ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the binary without waiting; resolves when it exits. */
export function cliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a node script and resolves with its exit code. */
export function runNode(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

/** Hostile text: an ANSI colour, BEL, CR, a C1 CSI and a bidi override. */
export const HOSTILE = 'evil\u001b[31mRED\u0007bell\rreturn\u009b2Jc1\u202eflip';

/** Whether raw terminal control characters are in `text` (newlines and tabs aside). */
export function hasRawControl(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(text);
}

/** Options of {@link writeSummary}. */
export interface WriteOptions {
  /** The worker (shard) the summary is. */
  worker?: string;
  /**
   * Where the manual clock starts, epoch seconds. Default 1,750,000,000 (2025-06-15): a
   * running summary saved then is long silent; pass `nowSeconds()` for a fresh one.
   */
  start?: number;
}

/** Now, epoch seconds. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** Writes a summary through the real store with a manual clock; returns the summary and clock. */
export async function writeSummary(
  root: string,
  runName: string,
  processName: string,
  build: (summary: ProcessSummary, clock: ManualClock) => void,
  options: WriteOptions = {},
): Promise<{ summary: ProcessSummary; store: FileSummaryStore; path: string }> {
  const clock = createManualClock(options.start);
  const summary = new ProcessSummary({
    runName,
    processName,
    clock,
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  summary.startProcess();
  build(summary, clock);
  const store = new FileSummaryStore({ root, logger: silentLogger });
  await store.save(summary);
  return { summary, store, path: store.pathFor(runName, processName, options.worker ?? null) };
}

/** A completed run: 1,000 items, 10 failed, two error types, over 100 s. */
export function completedRun(summary: ProcessSummary, clock: ManualClock): void {
  summary.setItemsTotal(1000);
  summary.incrementItems({ processed: 1000, successful: 990, failed: 10, bytes: 5_000_000 });
  summary.addError('NetworkError', 'Connection timeout');
  summary.addError('NetworkError', 'Connection reset');
  summary.addError('ValidationError', 'Invalid barcode 3204');
  summary.addProgressUpdate('Processing batch 1', { batch_size: 10 });
  summary.setCustomMetric('storage_type', 'minio');
  clock.advance(100);
  summary.endProcess();
}
