/**
 * `list` over 10,000 summaries and `show` of a 20,000-update seed-format file, each against
 * what a user would otherwise write: a few lines of Node (bench/naive/: readdir, readFileSync,
 * JSON.parse, the same fields printed), and jq as a second, informational row. Both sides are
 * spawned processes (start-up included), interleaved round by round, and each pair is first
 * checked to print the same rows and fields.
 *
 * Then where `list`'s time goes, step by step over the same 10,000 files in this process
 * (each step as the store and inspect do it, sequentially), and the system calls per file of
 * the real binary (`strace -c -f`, when strace is installed).
 */

import { deepStrictEqual } from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackhole, compareAsync, type Row, writeReport } from '@process-summary/bench-kit';
import {
  createManualClock,
  listingOf,
  ProcessSummary,
  type ReadResult,
  validateSummaryDict,
} from '@process-summary/core';
import {
  judgeStatus,
  listRows,
  type SummaryRow,
  safeJsonStringify,
  summaryRow,
} from '@process-summary/inspect';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = join(here, '..', 'bin', 'summary-inspect.js');
const naiveList = join(here, 'naive', 'list.mjs');
const naiveShow = join(here, 'naive', 'show.mjs');
/** The size by default; `CLI_BENCH_SUMMARIES=1000` for a quick run while developing. */
const SUMMARIES = Number(process.env.CLI_BENCH_SUMMARIES ?? 10_000);
const RUNS = 100;

/** The standard output of a spawned command (exit 0 or 1, as `exec` accepts). */
function output(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Steno check before timing: `list --json` has a row for every summary the naive script
 * printed, in the same order, with the same value of every field the script printed; the
 * table has the same lines, starting with the same run and process.
 */
function assertSameListing(root: string): void {
  const ours = JSON.parse(output(process.execPath, [binary, 'list', '--json', '--root', root])) as {
    summaries: Record<string, unknown>[];
  };
  const naive = JSON.parse(output(process.execPath, [naiveList, root, 'json'])) as {
    summaries: Record<string, unknown>[];
  };
  if (ours.summaries.length !== SUMMARIES || naive.summaries.length !== SUMMARIES) {
    throw new Error(
      `list --json printed ${ours.summaries.length} rows, the naive script ${naive.summaries.length}, of ${SUMMARIES}`,
    );
  }
  for (const [i, row] of naive.summaries.entries()) {
    const mine = ours.summaries[i] as Record<string, unknown>;
    deepStrictEqual(Object.keys(mine), Object.keys(row), `list --json row ${i}: other fields`);
    // Seconds since the last update depend on when each ran: compared to the second.
    const silent = (r: Record<string, unknown>) => Math.floor(Number(r.silent_seconds));
    if (Math.abs(silent(mine) - silent(row)) > 5) {
      throw new Error(
        `list --json row ${i}: silent_seconds ${mine.silent_seconds} vs ${row.silent_seconds}`,
      );
    }
    deepStrictEqual(
      { ...mine, silent_seconds: 0 },
      { ...row, silent_seconds: 0 },
      `list --json row ${i} differs from the naive script's`,
    );
  }
  const firstCells = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s+/).slice(0, 2).join(' '));
  deepStrictEqual(
    firstCells(output(process.execPath, [binary, 'list', '--root', root])),
    firstCells(output(process.execPath, [naiveList, root])),
    'the list table and the naive table differ in their lines',
  );
}

/** Both `show`s print the counters and the same last five progress updates. */
function assertSameShow(file: string, updates: number): void {
  for (const text of [
    output(process.execPath, [binary, 'show', file]),
    output(process.execPath, [naiveShow, file]),
  ]) {
    const batches = [...text.matchAll(/Processing batch (\d+)/g)].map((m) => Number(m[1]));
    deepStrictEqual(
      batches,
      Array.from({ length: 5 }, (_, i) => updates - 4 + i),
      `show's last updates: ${text}`,
    );
    if (!text.includes((updates * 50).toLocaleString('en-US'))) {
      throw new Error(`show did not print the items processed: ${text}`);
    }
  }
}

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

/** Runs `step` `rounds` times; the row reports the time of one whole step (all files). */
async function timeStep(name: string, step: () => unknown, rounds = 5): Promise<Row> {
  await step();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    blackhole(await step());
    samples.push(Number(process.hrtime.bigint() - start));
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  return {
    name,
    candidate: { medianNs: median, p99Ns: samples[samples.length - 1] ?? 0, samples: rounds },
  };
}

/** Where `list`'s time goes, step by step, over the same files, sequentially. */
async function split(root: string, files: readonly string[]): Promise<Row[]> {
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const n = files.length.toLocaleString('en-US');
  const buffers: Buffer[] = [];
  const values: unknown[] = [];
  const reads: ReadResult[] = [];
  let listed: (ReadResult | null)[] = [];
  let rows: SummaryRow[] = [];
  const now = Date.now() / 1000;
  const listing = await store.list();
  const empty = mkdtempSync(join(tmpdir(), 'ps-cli-bench-empty-'));
  const steps: Row[] = [
    // The fixed cost of every invocation: node itself, then loading the CLI and its packages.
    await timeStep('list split: start-up, node -e 0 (spawned)', () =>
      exec(process.execPath, ['-e', '0']),
    ),
    await timeStep('list split: start-up, list --json of an empty root (spawned)', () =>
      exec(process.execPath, [binary, 'list', '--json', '--root', empty]),
    ),
    await timeStep(`list split: store.list (one readdir per run directory)`, () => store.list()),
    await timeStep(
      `list split: stat of the run directory, once per summary read (store-fs revalidates its directory index), ${n}`,
      () => {
        for (const f of files) statSync(dirname(f));
      },
    ),
    await timeStep(`list split: open + fstat + read + close, ${n}`, () => {
      buffers.length = 0;
      for (const f of files) {
        const fd = openSync(f, 'r');
        const { size } = fstatSync(fd);
        const bytes = Buffer.allocUnsafe(size);
        readSync(fd, bytes, 0, size, 0);
        buffers.push(bytes);
        closeSync(fd);
      }
    }),
    // The naive script's read: Node opens, sizes, reads, decodes and closes in one native call,
    // against the five calls above (a stat of the run directory, open, fstat, read, close) that
    // the store needs to refuse a FIFO, a device or an oversized file unread and to notice a new
    // epoch copy.
    await timeStep(
      `list split: readFileSync (one call per file, as the naive script), ${n}`,
      () => {
        for (const f of files) blackhole(readFileSync(f, 'utf8'));
      },
    ),
    await timeStep(`list split: JSON.parse, ${n}`, () => {
      values.length = 0;
      for (const b of buffers) values.push(JSON.parse(b.toString('utf8')));
    }),
    await timeStep(
      `list split: full schema validation (not done by list, which checks names and counters only), ${n}`,
      () => {
        for (const v of values) validateSummaryDict(v);
      },
    ),
    await timeStep(
      `list split: store.read, light check (all of the above but full validation, as list reads), ${n}`,
      async () => {
        reads.length = 0;
        for (const ref of listing.summaries) {
          const read = await store.read(ref, { full: false });
          if (read !== null) reads.push(read);
        }
      },
    ),
    // What list reads instead: each file's listed members alone handed to JSON.parse.
    await timeStep(
      `list split: store.readListing, only the listed members parsed (as list reads), ${n}`,
      async () => {
        listed = await store.readListing(listing.summaries);
      },
    ),
    await timeStep(`list split: judge + row (inspect), ${n}`, () => {
      rows = reads.map((r) => summaryRow(r, judgeStatus(r, null, { now })));
    }),
    await timeStep(`list split: render --json, ${n} rows`, () =>
      safeJsonStringify({ summaries: rows }),
    ),
    await timeStep(`list split: listRows in process (concurrent reads), ${n}`, () =>
      listRows(store, { now, full: false }),
    ),
  ];
  rmSync(empty, { recursive: true, force: true });
  // The listing read gives what a whole read, cut to the listing, gives.
  deepStrictEqual(
    listed.map((r) => r?.dict ?? null),
    reads.map((r) => listingOf(r.dict)),
    'readListing and read disagree',
  );
  return steps;
}

/** System calls per summary file of the real `list --json` (strace -c -f), or null without strace. */
function syscallsPerFile(root: string, count: number): Row | null {
  const out = join(root, '..', `strace-${process.pid}.txt`);
  const traced = spawnSync(
    'strace',
    ['-c', '-f', '-o', out, process.execPath, binary, 'list', '--json', '--root', root],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  if (traced.error !== undefined) {
    console.log('  note: strace not installed; syscalls per file not measured');
    return null;
  }
  const calls = new Map<string, number>();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (m !== null && m[2] !== 'total') calls.set(m[2] as string, Number(m[1]));
  }
  rmSync(out, { force: true });
  const perFile = [...calls]
    .map(([name, c]) => [name, c / count] as const)
    .filter(([, c]) => c >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name, c]) => `${name} ${c.toFixed(1)}`)
    .join(', ');
  return {
    name: 'list split: system calls per summary file (strace -c -f of list --json)',
    // A count, not a time: no samples, so the report shows the note alone.
    candidate: { medianNs: 0, p99Ns: 0, samples: 0 },
    note: perFile,
  };
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ps-cli-bench-'));
  const bigDir = mkdtempSync(join(tmpdir(), 'ps-cli-bench-show-'));
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
    // Beside the root, not in it: the naive listing takes every entry of the root for a run.
    const big = join(bigDir, 'big.json');
    writeFileSync(big, JSON.stringify(seedFile(20_000), null, 2));

    assertSameListing(root);
    assertSameShow(big, 20_000);
    const n = SUMMARIES.toLocaleString('en-US');
    // Spawned programs share nothing in this process: samples taken in turns. A run's ratio is
    // a median of its samples, so each targeted pair takes 20 a run (30 for the shorter show);
    // jq, informational and slow (seconds a listing), takes its few samples in a pair of its own.
    const naiveJson = 'node script (readdirSync + readFileSync + JSON.parse, same fields as JSON)';
    const listJson = await compareAsync({
      name: `list --json, ${n} summaries`,
      candidate: () => exec(process.execPath, [binary, 'list', '--json', '--root', root]),
      baselines: { [naiveJson]: () => exec(process.execPath, [naiveList, root, 'json']) },
      rounds: 100,
      interleave: true,
      targets: { [naiveJson]: 1.3 },
    });
    const listJq = await compareAsync({
      name: `list --json, ${n} summaries`,
      candidate: () => exec(process.execPath, [binary, 'list', '--json', '--root', root]),
      baselines: {
        'jq (informational)': () =>
          exec('jq', ['-c', '{run_name, process_name, status, items_processed}', ...files]),
      },
      rounds: 10,
      interleave: true,
    });
    const naiveTable =
      'node script (readdirSync + readFileSync + JSON.parse, same columns as a table)';
    const listTable = await compareAsync({
      name: `list (table), ${n} summaries`,
      candidate: () => exec(process.execPath, [binary, 'list', '--root', root]),
      baselines: { [naiveTable]: () => exec(process.execPath, [naiveList, root]) },
      rounds: 100,
      interleave: true,
      targets: { [naiveTable]: 1.3 },
    });
    const naiveShowName = 'node script (readFileSync + JSON.parse, same fields)';
    const showName = 'show, seed-format file with 20,000 progress updates';
    const showRows = await compareAsync({
      name: showName,
      candidate: () => exec(process.execPath, [binary, 'show', big]),
      baselines: { [naiveShowName]: () => exec(process.execPath, [naiveShow, big]) },
      rounds: 150,
      interleave: true,
      targets: { [naiveShowName]: 1.3 },
    });
    const showJq = await compareAsync({
      name: showName,
      candidate: () => exec(process.execPath, [binary, 'show', big]),
      baselines: { 'jq (informational)': () => exec('jq', ['-c', '.progress_updates[-5:]', big]) },
      rounds: 25,
      interleave: true,
    });
    const splitRows = await split(root, files);
    const syscalls = syscallsPerFile(root, files.length);
    writeReport({
      topic: 'cli',
      package: '@process-summary/cli',
      rows: [
        ...listJson,
        ...listJq,
        ...listTable,
        ...showRows,
        ...showJq,
        ...splitRows,
        ...(syscalls === null ? [] : [syscalls]),
      ],
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(bigDir, { recursive: true, force: true });
  }
}
