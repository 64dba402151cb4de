/**
 * One process run as workers: starts `--workers` (3) copies of collect, worker N taking the
 * books whose index modulo 3 is N, each with its own summary (`collect@wN`) and its own
 * owner, then shows them as the read side does: one merged row with a line per worker.
 * Run it again after an interruption or a crash: only the workers that did not finish are
 * started, each resuming its own share.
 *
 *   node --import tsx shard/shard.ts --run sharded [--root runs] [--workers 3]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { listRows, type SummaryRow, statusWords } from '@process-summary/inspect';
import { integerOption, numberOption, parse } from '../lib/args.js';
import { loadBarcodes } from '../lib/barcodes.js';
import { workerName } from '../lib/shards.js';
import { openStore } from '../lib/store.js';

const usage = `shard: run collect as several workers, each on its own share with its own summary

Options:
  --run NAME              run name (default sharded)
  --root DIR              where summaries live (default runs)
  --store URL             or a PostgreSQL store: postgres://user:pass@host/db[?schema=NAME]
  --workers N             how many workers (default 3); worker N takes the books whose
                          index modulo the count is N, tracked as collect@wN
  --fresh                 archive every worker's previous summary and start over
  --quiet                 no progress lines from the workers
  --barcodes FILE, --count N, --latency-ms N, --concurrency N, --failure-rate P,
  --transient-rate P, --max-failure-rate P
                          passed to every worker (see collect --help)

Run again after Ctrl-C or a crash: the workers that completed (or failed) are left as they
are, the others resume where they stopped.`;

const passedOn = [
  'latency-ms',
  'concurrency',
  'failure-rate',
  'transient-rate',
  'max-failure-rate',
] as const;
const options = parse(
  {
    run: { type: 'string', default: 'sharded' },
    store: { type: 'string' },
    workers: { type: 'string', default: '3' },
    barcodes: { type: 'string' },
    count: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string' },
    concurrency: { type: 'string' },
    'failure-rate': { type: 'string' },
    'transient-rate': { type: 'string' },
    'max-failure-rate': { type: 'string' },
  },
  usage,
);
const workers = integerOption('workers', options.workers, 1);
const count = numberOption('count', options.count);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(options.root);
const barcodeFile = resolve(options.barcodes ?? join(here, '..', 'data', `barcodes-${count}.txt`));
// Generated here, once, before any worker reads it.
const total = loadBarcodes(barcodeFile, count).length;
// One value names the store, for the launcher and every worker alike.
const storeName = options.store ?? root;
const { store, close } = await openStore(storeName);

interface Worker {
  name: string;
  child: ChildProcess;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every line a worker prints, prefixed with its name. */
function relay(stream: NodeJS.ReadableStream | null, name: string, write: (line: string) => void) {
  if (stream === null) return;
  createInterface({ input: stream }).on('line', (line) => write(`[${name}] ${line}`));
}

function startWorker(n: number): Worker {
  const name = workerName(n);
  const args = ['--run', options.run, '--store', storeName, '--barcodes', barcodeFile];
  args.push('--count', String(count), '--worker', String(n), '--workers', String(workers));
  for (const option of passedOn) {
    const value = options[option];
    if (value !== undefined) args.push(`--${option}`, value);
  }
  if (options.fresh) args.push('--fresh');
  if (options.quiet) args.push('--quiet');
  // Its own process group: Ctrl-C reaches the launcher only, which passes it on once (a second
  // SIGINT would make a worker stop before recording the first).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, '..', 'collect', 'collect.ts'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  relay(child.stdout, name, (line) => console.log(line));
  relay(child.stderr, name, (line) => console.error(line));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  console.log(`  ${name} pid ${child.pid}: books ${n}, ${n + workers}, ${n + 2 * workers}, …`);
  return { name, child, ended };
}

console.log(
  `shard ${options.run}: ${total} books over ${workers} workers (index modulo ${workers})`,
);
const running: Worker[] = [];
for (let n = 0; n < workers; n++) {
  const ref = { runName: options.run, processName: 'collect', worker: workerName(n) };
  const stored = options.fresh ? null : (await store.read(ref))?.dict;
  if (stored != null && (stored.status === 'completed' || stored.status === 'failed')) {
    console.log(
      `  ${ref.worker}: ${stored.status} earlier (${stored.items_processed} books), not started again`,
    );
    continue;
  }
  running.push(startWorker(n));
}

let stoppedBy: NodeJS.Signals | null = null;
const passOn = (signal: NodeJS.Signals) => {
  stoppedBy = signal;
  for (const { child } of running) if (child.exitCode === null) child.kill(signal);
};
process.on('SIGINT', passOn);
process.on('SIGTERM', passOn);

let allDone = true;
for (const { name, ended } of running) {
  const { code, signal } = await ended;
  if (code !== 0) allDone = false;
  console.log(
    `  ${name} ${signal === null ? `exited with code ${code}` : `was stopped by ${signal}`}`,
  );
}

const { rows } = await listRows(store, {
  runName: options.run,
  processName: 'collect',
  now: Date.now() / 1000,
});
const line = (label: string, row: SummaryRow) =>
  `${label}: ${statusWords(row.status)}${row.status_reason === null ? '' : ` (${row.status_reason})`}, ${row.items_processed}/${row.items_total ?? '?'} books, ${row.items_failed} failed`;
for (const row of rows) {
  console.log(`\n${line(`${options.run}/collect, ${row.worker_count} workers`, row)}`);
  for (const worker of row.workers) console.log(`  ${line(`@${worker.worker}`, worker)}`);
}
if (!allDone && stoppedBy === null) {
  console.log('\nRun the same command again: the workers that did not finish resume.');
}

await close();
process.off('SIGINT', passOn);
process.off('SIGTERM', passOn);
// Stopped by a signal: end as that signal always ends a process (the shell sees it).
if (stoppedBy !== null) process.kill(process.pid, stoppedBy);
process.exitCode = allDone ? 0 : 1;
