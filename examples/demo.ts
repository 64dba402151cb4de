/**
 * The demo of the quick start: a collect job interrupted with Ctrl-C (SIGINT) part-way,
 * resumed to the end, a sync job, the same collect run as 3 workers with one of them killed
 * (kill -9) and resumed alone, then what `summary-inspect` shows of them.
 * Its runs stay in examples/runs/demo and examples/runs/demo-workers to inspect further; it
 * ends with the command that shows them in the dashboard.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSummaryStore } from '@process-summary/store-fs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, 'runs');
const run = 'demo';
const workersRun = 'demo-workers';
const tsx = ['--import', 'tsx'];
const store = new FileSummaryStore({ root });
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

function start(args: string[], captureOutput = true): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: here,
    stdio: ['ignore', captureOutput ? 'pipe' : 'inherit', 'inherit'],
  });
}

function ended(child: ChildProcess): Promise<string> {
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
  );
}

/** The summary as any reader sees it: through the store, which alone knows where it is. */
async function readSummary(processName: string): Promise<Record<string, unknown>> {
  const read = await store.read({ runName: run, processName });
  if (read?.dict == null)
    throw new Error(`no summary of ${run}/${processName}: ${read?.problem?.message}`);
  return read.dict;
}

const collectArgs = [...tsx, 'collect/collect.ts', '--run', run, '--root', root];

rmSync(join(root, run), { recursive: true, force: true });
rmSync(join(root, workersRun), { recursive: true, force: true });
rmSync(join(here, 'data', 'dest'), { recursive: true, force: true });

step('collect: 10,000 books from a simulated remote (1% fail for good, 3% time out once)');
const first = start([...collectArgs, '--latency-ms', '4']);
let seen = '';
await new Promise<void>((resolve) => {
  first.stdout?.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
    const match = /(\d+)\/10000 books/g;
    let last = 0;
    for (const m of seen.matchAll(match)) last = Number(m[1]);
    if (last >= 3000) resolve();
  });
  first.on('exit', () => resolve());
});
console.log('  3,000 books in: pressing Ctrl-C (SIGINT)…');
first.kill('SIGINT');
console.log(`  collect ended by ${await ended(first)}`);
const interrupted = await readSummary('collect');
console.log(
  `  the file says: status ${interrupted.status}, ${interrupted.items_processed} processed, session ended by ${
    (interrupted.sessions as { signal: string }[])[0]?.signal
  }`,
);

step('collect again: it resumes where it stopped');
const second = start([...collectArgs, '--latency-ms', '1', '--quiet']);
console.log(`  collect ended with ${await ended(second)}`);
const resumed = await readSummary('collect');
console.log(
  `  the file says: status ${resumed.status}, ${resumed.items_processed} processed, ${resumed.interruption_count} interruption, ${resumed.session_count} sessions`,
);

step('sync: 300 files copied and verified by checksum');
console.log(
  `  sync ended with ${await ended(start([...tsx, 'sync/sync.ts', '--run', run, '--root', root, '--quiet']))}`,
);

step(
  'collect as 3 workers: worker N takes the books whose index modulo 3 is N, own summary, own owner',
);
const shardArgs = [...tsx, 'shard/shard.ts', '--run', workersRun, '--root', root];
// Two books in flight, not eight: about 5 s a worker, so w1 is still working when it is killed
// at its first thousand however far apart a busy machine starts the workers.
const shard = start([...shardArgs, '--latency-ms', '3', '--concurrency', '2']);
let shardOut = '';
let killed = false;
await new Promise<void>((resolve) => {
  shard.stdout?.on('data', (chunk: Buffer) => {
    shardOut += chunk.toString();
    const pid = /w1 pid (\d+)/.exec(shardOut)?.[1];
    const w1 = [...shardOut.matchAll(/\[w1\]\s+(\d+)\/\d+ books/g)].at(-1)?.[1];
    if (!killed && pid !== undefined && Number(w1) >= 1000) {
      killed = true;
      console.log(`  w1 (pid ${pid}) is at ${w1} books: kill -9 ${pid}`);
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        console.log('  w1 had already finished: nothing left to kill');
      }
      resolve();
    }
  });
  shard.on('exit', () => resolve());
});
console.log(
  `  the launcher ended with ${await ended(shard)}; what it said, workers' lines left out:`,
);
for (const line of shardOut.split('\n'))
  if (line !== '' && !line.startsWith('[w')) console.log(`  ${line}`);

step('the launcher again: only w1 is started, and resumes where it stopped');
await ended(start([...shardArgs, '--latency-ms', '1', '--quiet'], false));

step(`summary-inspect list --root ${join('examples', 'runs')}`);
await ended(start([summaryInspect, 'list', '--root', root], false));

step('summary-inspect show demo collect');
await ended(start([summaryInspect, 'show', run, 'collect', '--root', root], false));

console.log(`\nThe runs are in ${join('examples', 'runs')}; try, at the repository root:`);
console.log(`  npx pnpm@12.4.2 summary-inspect show ${run} sync --root examples/runs`);
console.log(`  npx pnpm@12.4.2 summary-inspect show ${workersRun} collect --root examples/runs`);
// Last, so it is what the terminal shows when the demo ends: the runs in the browser.
console.log(
  '\nOr see them in the browser (the dashboard, live as pipelines save; Ctrl-C stops it):',
);
console.log('  npx pnpm@12.4.2 summary-inspect serve --root examples/runs');
