import type { SummaryDict } from '@process-summary/core';
import { PgSummaryStore } from '@process-summary/store-pg';
import { startTestPostgres, type TestPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freshSchema, journalCounts, type Message, type Pipeline, startPipeline } from './_pg.js';

interface Context {
  schema: string;
  store: PgSummaryStore;
  pipelines: Pipeline[];
}

const test = suite<Context>(
  'a pipeline on PostgreSQL: server restarts and outages, SIGKILL and resume',
);

// A server of this file's own: these tests stop and restart it.
let server: TestPostgres;
test.before(async () => {
  server = await startTestPostgres({ forceEmbedded: true });
});
test.after(async () => {
  await server.stop();
});
test.before.each((ctx) => {
  ctx.schema = freshSchema();
  ctx.store = new PgSummaryStore({ url: server.url, schema: ctx.schema });
  ctx.pipelines = [];
});
test.after.each(async (ctx) => {
  for (const { child } of ctx.pipelines) child.kill('SIGKILL');
  await ctx.store.close();
});

const ref = { runName: 'faults', processName: 'pipe', worker: null };

function pipeline(ctx: Context): Pipeline {
  const started = startPipeline(server.url, ctx.schema, ref.runName);
  ctx.pipelines.push(started);
  return started;
}

async function stored(ctx: Context): Promise<SummaryDict> {
  const read = await ctx.store.read(ref);
  if (read?.dict == null) throw new Error(`no summary: ${read?.problem?.message}`);
  return read.dict as SummaryDict;
}

async function steps(run: Pipeline, n: number): Promise<Message[]> {
  const replies: Message[] = [];
  for (let i = 0; i < n; i++) replies.push(await run.send('step'));
  return replies;
}

/** Every step acknowledged or not is in memory; the database holds what the last good save held. */
function assertHolds(dict: SummaryDict, stepsDone: number): void {
  assert.is(dict.items_processed, 10 * stepsDone);
  assert.is(dict.items_successful, 9 * stepsDone);
  assert.is(dict.items_failed, stepsDone);
  assert.is(dict.bytes_processed, 1000 * stepsDone);
  assert.is(dict.error_count, stepsDone);
  assert.equal(dict.error_types, { BadItem: stepsDone });
}

test('the server restarts mid-run: the pipeline goes on, the store reconnects by itself, and every item and event is in the database', async (ctx) => {
  const run = pipeline(ctx);
  await run.next('ready');
  for (const reply of await steps(run, 3)) assert.ok(reply.ok, JSON.stringify(reply));

  await server.control('restart');
  // The connections the restart dropped may fail a save or two (logged, false); the pipeline
  // keeps counting in memory and the store opens new connections by itself.
  const after: Message[] = [];
  do after.push(await run.send('step'));
  while (after.at(-1)?.ok !== true && after.length < 5);
  assert.ok(after.at(-1)?.ok, `no save succeeded after the restart: ${JSON.stringify(after)}`);
  const failed = after.filter((r) => r.ok === false).length;
  const unavailable = run.logs.filter(
    (l) => l.level === 'error' && l.code === 'E_STORE_UNAVAILABLE',
  );
  assert.is(unavailable.length, failed, JSON.stringify(run.logs));
  const total = 3 + after.length;
  assertHolds(await stored(ctx), total);

  const ended = await run.send('end');
  assert.ok(ended.ok);
  assert.is((await run.exited).code, 0, run.stderr());
  const final = await stored(ctx);
  assertHolds(final, total);
  assert.is(final.status, 'completed');
  assert.is(final.interruption_count, 0, 'a server restart is not an interruption of the run');
  assert.equal(
    final.progress_updates.map((u) => u.message),
    Array.from({ length: total }, (_, i) => `step ${i + 1}`),
  );
  const { counts, events } = await journalCounts(ctx.store, ref);
  assert.equal(counts, { session_start: 1, error: total, progress: total, session_end: 1 });
  // Each error once, in order: none lost with a failed save, none appended twice after it.
  assert.equal(
    events.flatMap((e) => (e.type === 'error' ? [e.message] : [])),
    Array.from({ length: total }, (_, i) => `item ${10 * (i + 1)} of step ${i + 1} failed`),
  );
});

test('a longer outage: every save while the server is down returns false and is logged; the first save after it stores everything, the journal included', async (ctx) => {
  const run = pipeline(ctx);
  await run.next('ready');
  for (const reply of await steps(run, 2)) assert.ok(reply.ok, JSON.stringify(reply));

  await server.control('stop-only');
  let during: Message[];
  try {
    during = await steps(run, 3);
  } finally {
    await server.control('start');
  }
  assert.equal(
    during.map((r) => [r.step, r.ok, r.items_processed]),
    [
      [3, false, 30],
      [4, false, 40],
      [5, false, 50],
    ],
    'the pipeline went on counting',
  );
  const logged = run.logs.filter((l) => l.level === 'error');
  assert.is(logged.length, 3, JSON.stringify(run.logs));
  for (const line of logged) {
    assert.is(line.code, 'E_STORE_UNAVAILABLE');
    assert.match(String(line.message), /could not save faults\/pipe: .*cannot be reached/);
  }
  // Back up: the database holds what was acknowledged, nothing that was not.
  assertHolds(await stored(ctx), 2);
  assert.equal((await journalCounts(ctx.store, ref)).counts, {
    session_start: 1,
    error: 2,
    progress: 2,
  });

  const next = await run.send('step');
  assert.is(next.ok, true, 'the first save after the outage succeeds');
  assertHolds(await stored(ctx), 6);
  assert.equal((await journalCounts(ctx.store, ref)).counts, {
    session_start: 1,
    error: 6,
    progress: 6,
  });

  assert.ok((await run.send('end')).ok);
  assert.is((await run.exited).code, 0, run.stderr());
  const final = await stored(ctx);
  assertHolds(final, 6);
  assert.is(final.status, 'completed');
  const { counts, events } = await journalCounts(ctx.store, ref);
  assert.equal(counts, { session_start: 1, error: 6, progress: 6, session_end: 1 });
  assert.equal(
    events.flatMap((e) => (e.type === 'progress' ? [e.message] : [])),
    ['step 1', 'step 2', 'step 3', 'step 4', 'step 5', 'step 6'],
  );
});

test('restarts while the pipeline saves as fast as it can: a save cut off mid-flight loses nothing acknowledged and appends no event twice', async (ctx) => {
  const run = pipeline(ctx);
  await run.next('ready');
  run.run();
  /** Waits until the pipeline has made `count` more saves that succeeded. */
  let target = 0;
  const moreSaves = async (count: number) => {
    target += count;
    while (Number((await run.next('saves')).ok) < target) {}
  };
  for (let restart = 0; restart < 3; restart++) {
    await moreSaves(50);
    await server.control('restart');
  }
  await moreSaves(50);
  const ended = await run.send('end');
  assert.ok(ended.ok);
  assert.is((await run.exited).code, 0, run.stderr());
  const total = Number(ended.steps);
  assert.is(Number(ended.saved) + Number(ended.failed), total);
  const unavailable = run.logs.filter((l) => l.level === 'error');
  assert.is(unavailable.length, Number(ended.failed), 'each failed save logged once');
  for (const line of unavailable) assert.is(line.code, 'E_STORE_UNAVAILABLE');

  const final = await stored(ctx);
  assertHolds(final, total);
  assert.is(final.status, 'completed');
  const { counts, events } = await journalCounts(ctx.store, ref);
  assert.equal(counts, { session_start: 1, error: total, progress: total, session_end: 1 });
  const messages = events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
  assert.is(new Set(messages).size, total, 'no error appended twice');
});

test('SIGKILL of the pipeline, then a new process resumes: the crash classified once, the counts go on', async (ctx) => {
  const first = pipeline(ctx);
  const ready = await first.next('ready');
  for (const reply of await steps(first, 3)) assert.ok(reply.ok, JSON.stringify(reply));
  first.child.kill('SIGKILL');
  assert.is((await first.exited).signal, 'SIGKILL');
  const killed = await stored(ctx);
  assert.is(killed.status, 'running', 'no chance to record an end');
  assertHolds(killed, 3);
  const owner = await ctx.store.ownerStatus(ref);
  assert.is(owner.state, 'dead', 'its pid is gone on this host: no lease to wait out');
  assert.is(owner.gone, 'crash');
  assert.is(owner.owner?.pid, ready.pid);

  const second = pipeline(ctx);
  const resumed = await second.next('ready');
  assert.is(resumed.items_processed, 30, 'resumes from what was acknowledged');
  assert.is(resumed.interruption_count, 1);
  assert.equal(resumed.sessions, ['crash', null]);
  for (const reply of await steps(second, 2)) assert.ok(reply.ok, JSON.stringify(reply));
  assert.ok((await second.send('end')).ok);
  assert.is((await second.exited).code, 0, second.stderr());

  const final = await stored(ctx);
  assertHolds(final, 5);
  assert.is(final.status, 'completed');
  assert.is(final.interruption_count, 1);
  assert.equal(
    final.sessions.map((s) => [s.pid, s.end_reason, s.items_processed]),
    [
      [ready.pid, 'crash', 30],
      [resumed.pid, 'completed', 20],
    ],
  );
  const { counts, events } = await journalCounts(ctx.store, ref);
  assert.equal(counts, {
    session_start: 2,
    error: 5,
    // 3 + 2 steps, and the seed's two messages on resume.
    progress: 7,
    session_end: 2,
    interruption: 1,
  });
  const interruption = events.find((e) => e.type === 'interruption');
  assert.is(interruption?.type === 'interruption' && interruption.reason, 'crash');
  assert.ok(
    final.progress_updates.some((u) => u.message.startsWith('Interruption detected: owner pid')),
  );
});

test.run();
