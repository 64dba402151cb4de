/**
 * `list` over 10,000 summaries against jq reading the same files, and `show` of a
 * 20,000-update seed-format file against jq picking its last five updates. Both sides are
 * spawned processes (start-up included), interleaved round by round.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import { createManualClock, ProcessSummary } from '@process-summary/core';

const binary = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'summary-inspect.js');
const SUMMARIES = 10_000;
const RUNS = 100;

function exec(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 || code === 1 ? resolve() : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

/** A realistic summary dictionary: 20 progress updates, 3 error types, a finished session. */
function template(): Record<string, unknown> {
  const clock = createManualClock();
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

function seedFile(updates: number): Record<string, unknown> {
  const start = 322.294865619;
  const progress = Array.from({ length: updates }, (_, i) => ({
    timestamp: start + i * 0.5,
    elapsed_seconds: i * 0.5,
    message: `Processing batch ${i + 1}`,
    items_processed: (i + 1) * 50,
    items_successful: (i + 1) * 50,
    items_failed: 0,
    batch_size: 50,
  }));
  return {
    process_name: 'collect',
    run_name: 'big',
    session_id: 1795965372,
    start_time: start,
    end_time: start + updates * 0.5,
    duration_seconds: updates * 0.5,
    is_completed: true,
    items_processed: updates * 50,
    items_successful: updates * 50,
    items_failed: 0,
    items_retried: 0,
    bytes_processed: 0,
    success_rate_percent: 100,
    processing_rate_per_second: 100,
    error_count: 0,
    error_types: {},
    last_error_message: null,
    last_error_time: null,
    interruption_count: 0,
    progress_updates_count: updates,
    progress_updates: progress,
    custom_metrics: {},
    generated_at: '2024-01-15T10:30:45.123456+00:00',
  };
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ps-cli-bench-'));
  try {
    const dict = template();
    const files: string[] = [];
    for (let i = 0; i < SUMMARIES; i++) {
      const runName = `run_${String(i % RUNS).padStart(3, '0')}`;
      const processName = `process_${Math.floor(i / RUNS)}`;
      const dir = join(root, runName);
      if (i < RUNS) mkdirSync(dir);
      const path = join(dir, `process_summary_${processName}.json`);
      writeFileSync(
        path,
        `${JSON.stringify({ ...dict, run_name: runName, process_name: processName }, null, 2)}\n`,
      );
      files.push(path);
    }
    const big = join(root, 'big.json');
    writeFileSync(big, JSON.stringify(seedFile(20_000), null, 2));

    const listRows = await compareAsync({
      name: `list --json, ${SUMMARIES.toLocaleString('en-US')} summaries`,
      candidate: () => exec(process.execPath, [binary, 'list', '--json', '--root', root]),
      baselines: {
        jq: () => exec('jq', ['-c', '{run_name, process_name, status, items_processed}', ...files]),
      },
      rounds: 7,
      targets: { jq: 1 },
    });
    const showRows = await compareAsync({
      name: 'show, seed-format file with 20,000 progress updates',
      candidate: () => exec(process.execPath, [binary, 'show', big]),
      baselines: { jq: () => exec('jq', ['-c', '.progress_updates[-5:]', big]) },
      rounds: 7,
    });
    writeReport({
      topic: 'cli',
      package: '@process-summary/cli',
      rows: [...listRows, ...showRows],
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
