import { join } from 'node:path';
import type { SummaryDict } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Run, readSummary, runExample, summaryInspect, tempDir } from './_helpers.js';

interface Context {
  dir: string;
  cleanup: () => void;
  /** Workers started by a test: killed afterwards should the test fail half-way. */
  pids: number[];
}

const test = suite<Context>('end to end: one process as 3 workers (shard)');
test.before.each((ctx) => {
  Object.assign(ctx, tempDir(), { pids: [] });
});
test.after.each((ctx) => {
  for (const pid of ctx.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  ctx.cleanup();
});

const WORKERS = ['w0', 'w1', 'w2'];

function shardArgs(dir: string, extra: string[]): string[] {
  const args = ['--run', 'r', '--root', join(dir, 'runs'), '--count', '3000'];
  return [...args, '--barcodes', join(dir, 'barcodes.txt'), ...extra];
}

/**
 * Workers that take 10 s or more (1,000 books one at a time, 10 ms each): a test signals them at
 * their first progress line, and every one must still be running then, however far apart a loaded
 * machine starts them (at the default 8 in flight, 5 ms each, a worker finished in under a second,
 * sometimes before the last one had started).
 */
const UNHURRIED = ['--latency-ms', '10', '--concurrency', '1'];

/** The pid the launcher announced for `worker`, once it did. */
async function workerPid(run: Run, worker: string, ctx: Context): Promise<number> {
  const pattern = new RegExp(`${worker} pid (\\d+)`);
  await run.waitForOutput(pattern);
  const pid = Number(pattern.exec(run.output())?.[1]);
  ctx.pids.push(pid);
  return pid;
}

async function workers(root: string): Promise<SummaryDict[]> {
  return Promise.all(WORKERS.map((w) => readSummary(root, 'r', 'collect', w)));
}

interface ListedRow {
  run_name: string;
  process_name: string;
  worker: string | null;
  status: string;
  items_processed: number;
  items_total: number | null;
  items_failed: number;
  worker_count: number;
  workers: ListedRow[];
}

async function listed(root: string): Promise<ListedRow[]> {
  const list = await summaryInspect(['list', '--json', '--root', root]);
  assert.is(list.code, 0, list.output);
  return (JSON.parse(list.output) as { summaries: ListedRow[] }).summaries;
}

test('3 workers each take a third and own their summary; the counters sum to the total, each book once; another split is refused', async (ctx) => {
  const root = join(ctx.dir, 'runs');
  const launch = runExample('shard/shard.ts', shardArgs(ctx.dir, ['--latency-ms', '1', '--quiet']));
  const end = await launch.exited;
  assert.is(end.code, 0, launch.output());

  const dicts = await workers(root);
  dicts.forEach((d, n) => {
    assert.is(d.worker, `w${n}`);
    assert.is(d.status, 'completed');
    assert.is(d.items_total, 1000, 'a third of the books each');
    assert.is(d.items_processed, 1000);
    assert.is(d.items_successful + d.items_failed, 1000);
    assert.is(d.custom_metrics.shard, `${n} of 3`);
    assert.is(d.sessions.length, 1);
  });
  const owners = new Set(dicts.map((d) => d.sessions[0]?.pid));
  assert.is(owners.size, 3, 'each worker its own process');
  assert.not.ok(owners.has(launch.child.pid), 'the launcher owns none');
  const sum = (key: 'items_processed' | 'items_failed' | 'bytes_processed') =>
    dicts.reduce((total, d) => total + d[key], 0);
  assert.is(sum('items_processed'), 3000);

  // The same books in one process: every book done exactly once across the workers gives the
  // same bytes and the same failures (both fixed per book).
  const whole = runExample('collect/collect.ts', [
    ...['--run', 'r', '--root', join(ctx.dir, 'whole'), '--count', '3000'],
    ...['--barcodes', join(ctx.dir, 'barcodes.txt'), '--latency-ms', '1', '--quiet'],
  ]);
  assert.is((await whole.exited).code, 0, whole.output());
  const one = await readSummary(join(ctx.dir, 'whole'), 'r', 'collect');
  assert.is(sum('bytes_processed'), one.bytes_processed);
  assert.is(sum('items_failed'), one.items_failed);
  const errors: Record<string, number> = {};
  for (const d of dicts) {
    for (const [type, n] of Object.entries(d.error_types)) errors[type] = (errors[type] ?? 0) + n;
  }
  assert.equal(errors, one.error_types);

  const rows = await listed(root);
  assert.is(rows.length, 1, 'one merged row for the process');
  const [row] = rows as [ListedRow];
  assert.is(row.process_name, 'collect');
  assert.is(row.worker, null);
  assert.is(row.worker_count, 3);
  assert.equal(
    row.workers.map((w) => [w.worker, w.items_processed]),
    WORKERS.map((w) => [w, 1000]),
  );
  assert.is(row.items_processed, 3000);
  assert.is(row.items_total, 3000);
  assert.is(row.items_failed, one.items_failed);

  const show = await summaryInspect(['show', 'r', 'collect', '--json', '--root', root]);
  assert.is(show.code, 0, show.output);
  const details = show.output.trim().split('\n');
  assert.is(details.length, 1, 'the process shown once, merged');
  const detail = JSON.parse(details[0] as string) as {
    worker_count: number;
    workers: { worker: string; items_processed: number; sessions: unknown[] }[];
  };
  assert.is(detail.worker_count, 3);
  assert.equal(
    detail.workers.map((w) => [w.worker, w.items_processed, w.sessions.length]),
    WORKERS.map((w) => [w, 1000, 1]),
  );
  const text = await summaryInspect(['show', 'r', 'collect', '--root', root]);
  assert.match(text.output, /Workers \(3\)/);

  // Resuming a worker with another split would count some books twice: refused, nothing touched.
  const resplit = runExample(
    'collect/collect.ts',
    shardArgs(ctx.dir, ['--worker', '1', '--workers', '2', '--quiet']),
  );
  assert.is((await resplit.exited).code, 2, resplit.output());
  assert.match(resplit.output(), /started as worker 1 of 3, not 1 of 2/);
  assert.equal(await readSummary(root, 'r', 'collect', 'w1'), dicts[1]);
});

test('a second launch of a worker while it runs is refused with E_CONCURRENT_RUN and changes nothing', async (ctx) => {
  const root = join(ctx.dir, 'runs');
  const launch = runExample('shard/shard.ts', shardArgs(ctx.dir, UNHURRIED));
  const pid = await workerPid(launch, 'w1', ctx);
  await launch.waitForOutput(/\[w1\]\s+\d+\/1000 books/);
  // Stopped, w1 is alive but cannot finish while the second launch tries.
  process.kill(pid, 'SIGSTOP');
  try {
    const second = runExample(
      'collect/collect.ts',
      shardArgs(ctx.dir, ['--worker', '1', '--workers', '3', '--quiet']),
    );
    const refused = await second.exited;
    assert.is(refused.code, 3, second.output());
    assert.match(second.output(), /\[E_CONCURRENT_RUN\]/);
    assert.match(second.output(), new RegExp(`r/collect@w1 is already running: pid ${pid}\\b`));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  assert.is((await launch.exited).code, 0, launch.output());
  const w1 = await readSummary(root, 'r', 'collect', 'w1');
  assert.is(w1.status, 'completed');
  assert.is(w1.items_processed, 1000);
  assert.is(w1.sessions.length, 1, 'the refused launch started no session');
  assert.is(w1.interruption_count, 0);
});

test('SIGKILL of one worker: the others finish; the process lists as crashed; relaunching resumes that worker only', async (ctx) => {
  const root = join(ctx.dir, 'runs');
  const launch = runExample('shard/shard.ts', shardArgs(ctx.dir, UNHURRIED));
  const pid = await workerPid(launch, 'w1', ctx);
  await launch.waitForOutput(/\[w1\]\s+\d+\/1000 books/);
  process.kill(pid, 'SIGKILL');
  const end = await launch.exited;
  assert.is(end.code, 1, launch.output());
  assert.match(launch.output(), /w1 was stopped by SIGKILL/);

  const [w0, w1, w2] = (await workers(root)) as [SummaryDict, SummaryDict, SummaryDict];
  assert.is(w0.status, 'completed');
  assert.is(w2.status, 'completed');
  assert.is(w1.status, 'running', 'killed: no chance to record an end');
  const acknowledged = w1.items_processed;
  assert.ok(acknowledged < 1000, String(acknowledged));

  const [crashed] = (await listed(root)) as [ListedRow];
  assert.is(crashed.status, 'crashed', 'the most urgent status of its workers');
  assert.equal(
    crashed.workers.map((w) => [w.worker, w.status === 'crashed']),
    [
      ['w0', false],
      ['w1', true],
      ['w2', false],
    ],
  );

  const again = runExample('shard/shard.ts', shardArgs(ctx.dir, ['--latency-ms', '1', '--quiet']));
  assert.is((await again.exited).code, 0, again.output());
  assert.match(again.output(), /w0: completed earlier .*not started again/);
  assert.match(again.output(), /w2: completed earlier .*not started again/);
  assert.match(again.output(), /w1 pid \d+/);
  assert.not.match(again.output(), /w[02] pid/);

  const after = (await workers(root)) as [SummaryDict, SummaryDict, SummaryDict];
  assert.equal(after[0], w0, 'w0 untouched');
  assert.equal(after[2], w2, 'w2 untouched');
  const resumed = after[1];
  assert.is(resumed.status, 'completed');
  assert.is(resumed.items_processed, 1000, 'acknowledged plus the rest, each book once');
  assert.is(resumed.sessions.length, 2);
  assert.is(resumed.sessions[0]?.end_reason, 'crash');
  assert.is(resumed.sessions[0]?.items_processed, acknowledged);
  assert.is(resumed.sessions[1]?.items_processed, 1000 - acknowledged);
  assert.is(resumed.interruption_count, 1);

  const [merged] = (await listed(root)) as [ListedRow];
  assert.is(merged.items_processed, 3000);
  assert.ok(merged.status.startsWith('completed'), merged.status);
});

test('Ctrl-C of the launcher reaches every worker once: each records SIGINT, and the relaunch resumes them all', async (ctx) => {
  const root = join(ctx.dir, 'runs');
  const launch = runExample('shard/shard.ts', shardArgs(ctx.dir, UNHURRIED));
  for (const w of WORKERS) await workerPid(launch, w, ctx);
  for (const w of WORKERS) await launch.waitForOutput(new RegExp(`\\[${w}\\]\\s+\\d+/1000 books`));
  launch.child.kill('SIGINT');
  const end = await launch.exited;
  assert.is(end.signal, 'SIGINT', `ends as Ctrl-C ends a process: ${launch.output()}`);
  const stopped = await workers(root);
  for (const d of stopped) {
    assert.is(d.status, 'interrupted', d.worker ?? '');
    assert.is(d.sessions[0]?.signal, 'SIGINT');
    assert.ok(d.items_processed < 1000);
  }

  const again = runExample('shard/shard.ts', shardArgs(ctx.dir, ['--latency-ms', '1', '--quiet']));
  assert.is((await again.exited).code, 0, again.output());
  const done = await workers(root);
  done.forEach((d, n) => {
    assert.is(d.status, 'completed');
    assert.is(d.items_processed, 1000);
    assert.is(d.interruption_count, 1);
    assert.is(d.sessions[1]?.items_processed, 1000 - (stopped[n] as SummaryDict).items_processed);
    assert.ok(
      d.progress_updates.some((u) => u.message === 'Interruption detected: stopped by SIGINT'),
    );
  });
});

test.run();
