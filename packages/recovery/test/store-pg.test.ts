import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryEvent, SummaryRef } from '@process-summary/core';
import { silentLogger } from '@process-summary/store-fs';
import { PgSummaryStore } from '@process-summary/store-pg';
import { startChild, testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createProcessSummary,
  ProcessSummaryManager,
  releaseProcessSummary,
  resumeInfo,
  saveProcessSummary,
} from '../src/index.js';
import { endsWithin, type Pipeline, pipelineScript, tempRoot } from './_helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** `--import` this: neither `pg` nor `@process-summary/store-pg` can be found. */
const withoutStorePg = join(fixtures, 'without-store-pg.mjs');
/** `--import` this: the real store-pg, whose close() prints {"event":"store-closed"}. */
const spyStorePg = join(fixtures, 'spy-store-pg.mjs');

interface Ctx {
  root: string;
  cleanup: () => void;
  /** The test server's URL with this test's own schema (`?schema=`). */
  url: string;
  schema: string;
  /** A store of its own on the same schema, to look at what the pipeline left. */
  look: PgSummaryStore;
  children: Pipeline[];
}

const test = suite<Ctx>('a postgres:// store');
test.before.each(async (ctx) => {
  Object.assign(ctx, tempRoot());
  const server = await testPostgres();
  ctx.schema = `ps_recovery_${randomBytes(6).toString('hex')}`;
  const url = new URL(server.url);
  url.searchParams.set('schema', ctx.schema);
  ctx.url = url.href;
  ctx.look = new PgSummaryStore({ url: server.url, schema: ctx.schema, logger: silentLogger });
  ctx.children = [];
});
test.after.each(async (ctx) => {
  for (const child of ctx.children) child.child.kill('SIGKILL');
  await Promise.all(ctx.children.map((c) => c.exited));
  await ctx.look.close();
  ctx.cleanup();
});

const quiet = { handleSignals: false, heartbeatSeconds: 0, logger: silentLogger };
const ref: SummaryRef = { runName: 'harvard_2024', processName: 'collect', worker: null };

/** A pipeline child (fixtures/pipeline.mjs) with `--import hook`. */
function start(ctx: Ctx, hook: string, mode: string, options: Record<string, unknown>): Pipeline {
  const child = startChild([
    process.execPath,
    '--import',
    hook,
    pipelineScript,
    ctx.root,
    ref.runName,
    ref.processName,
    mode,
    JSON.stringify(options),
  ]);
  ctx.children.push(child);
  return child;
}

async function eventsOf(ctx: Ctx, of: SummaryRef = ref): Promise<SummaryEvent[]> {
  const events: SummaryEvent[] = [];
  for await (const record of ctx.look.events(of)) {
    assert.is(record.problem, null);
    if (record.event !== null) events.push(record.event);
  }
  return events;
}

test('create, save, resume and complete a run on PostgreSQL, its journal there', async (ctx) => {
  const first = await createProcessSummary(ref.runName, ref.processName, {
    store: ctx.url,
    ...quiet,
  });
  first.incrementItems({ processed: 5, successful: 4, failed: 1 });
  first.addError('NetworkError', 'Connection timeout');
  first.addProgressUpdate('batch 1');
  assert.ok(await saveProcessSummary(first));
  assert.is((await ctx.look.ownerStatus(ref)).state, 'alive', 'owned while it runs');
  await releaseProcessSummary(first); // no endProcess: the next session finds an interruption

  const second = await createProcessSummary(ref.runName, ref.processName, {
    store: ctx.url,
    ...quiet,
  });
  assert.is(second.itemsProcessed, 5, 'resumed from the database');
  assert.is(second.errorTypes.NetworkError, 1);
  assert.is(second.sessionCount, 2);
  assert.is(resumeInfo(second)?.interrupted, true);
  second.incrementItems({ processed: 3, successful: 3 });
  second.endProcess();
  assert.ok(await saveProcessSummary(second));

  const read = await ctx.look.read(ref);
  assert.is(read?.dict?.items_processed, 8);
  assert.is(read?.dict?.status, 'completed');
  assert.is(read?.dict?.interruption_count, 1);
  assert.is((await ctx.look.ownerStatus(ref)).state, 'none', 'given up at the end');
  const types = (await eventsOf(ctx)).map((e) => e.type);
  assert.is(types.filter((t) => t === 'session_start').length, 2);
  assert.ok(types.includes('error'));
  assert.ok(types.includes('interruption'));
  // Nothing was written under the file store's root.
  assert.equal(readdirSync(ctx.root), []);
});

test('workers on a postgres:// store are summaries of their own', async (ctx) => {
  const w1 = await createProcessSummary(ref.runName, ref.processName, {
    store: ctx.url,
    worker: 'w1',
    ...quiet,
  });
  const w2 = await createProcessSummary(ref.runName, ref.processName, {
    store: ctx.url,
    worker: 'w2',
    ...quiet,
  });
  w1.incrementItems({ processed: 1 });
  w2.incrementItems({ processed: 2 });
  for (const s of [w1, w2]) {
    s.endProcess();
    assert.ok(await saveProcessSummary(s));
  }
  const listing = await ctx.look.list();
  assert.equal(
    listing.summaries.map((s) => s.worker),
    ['w1', 'w2'],
  );
  assert.is((await ctx.look.read({ ...ref, worker: 'w2' }))?.dict?.items_processed, 2);
});

test('the seed manager on a postgres:// store: cleanupSummary after the end removes the run', async (ctx) => {
  const manager = new ProcessSummaryManager(ref.runName, ref.processName, {
    store: ctx.url,
    ...quiet,
  });
  const summary = await manager.loadOrCreateSummary();
  summary.incrementItems({ processed: 1 });
  summary.endProcess();
  // The end closes the store this manager opened; the cleanup opens it again for the removal.
  assert.ok(await manager.saveSummary(summary));
  assert.not.equal(await ctx.look.read(ref), null);
  assert.is(await manager.cleanupSummary(), true);
  assert.is(await ctx.look.read(ref), null);
});

test('a second process on the same postgres:// run is refused, naming the owner', async (ctx) => {
  const holder = start(ctx, spyStorePg, 'hold', { store: ctx.url });
  const started = await holder.waitFor('started');
  await holder.waitFor('holding');
  try {
    await createProcessSummary(ref.runName, ref.processName, { store: ctx.url, ...quiet });
    assert.unreachable('a live owner holds it');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_CONCURRENT_RUN');
    assert.match((err as Error).message, String(started.pid));
  }
});

test('a run that ends closes the pool it opened, and the process exits by itself', async (ctx) => {
  const p = start(ctx, spyStorePg, 'finish', { store: ctx.url });
  assert.equal(await p.waitFor('saved'), { event: 'saved', ok: true });
  await p.waitFor('store-closed');
  const end = await endsWithin(p, 30_000);
  assert.equal(end, { code: 0, signal: null, killed: false }, p.stderr());
  assert.is((await ctx.look.read(ref))?.dict?.status, 'completed');
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} on a postgres:// store (no saveSync): saved at the signal, released, pool closed, then the process dies by ${signal}`, async (ctx) => {
    const p = start(ctx, spyStorePg, 'hold', { store: ctx.url });
    await p.waitFor('holding');
    p.child.kill(signal);
    const end = await endsWithin(p, 30_000);
    assert.is(end.signal, signal, `exit ${end.code}: ${p.stderr()}`);
    assert.ok(
      p.messages.some((m) => m.event === 'store-closed'),
      'the pool was ended before the signal was raised again',
    );
    const d = (await ctx.look.read(ref))?.dict;
    assert.is(d?.status, 'interrupted');
    assert.is(d?.sessions[0]?.end_reason, 'signal');
    assert.is(d?.sessions[0]?.signal, signal);
    assert.is(d?.items_processed, 5);
    assert.is((await ctx.look.ownerStatus(ref)).state, 'none', 'ownership given up');
  });
}

test('a script that runs to its end without endProcess on PostgreSQL: saved as an exit, released, and the next run starts at once', async (ctx) => {
  const p = start(ctx, spyStorePg, 'no-end', { store: ctx.url });
  assert.equal(await p.waitFor('saved'), { event: 'saved', ok: true });
  const end = await endsWithin(p, 30_000);
  assert.equal(end, { code: 0, signal: null, killed: false }, p.stderr());
  assert.ok(p.messages.some((m) => m.event === 'store-closed'));
  const d = (await ctx.look.read(ref))?.dict;
  assert.is(d?.status, 'interrupted');
  assert.is(d?.sessions[0]?.end_reason, 'exit');
  assert.is((await ctx.look.ownerStatus(ref)).state, 'none');
  const next = await createProcessSummary(ref.runName, ref.processName, {
    store: ctx.url,
    ...quiet,
  });
  assert.is(resumeInfo(next)?.previousEnd, 'exit');
  assert.is(next.itemsProcessed, 3);
  await releaseProcessSummary(next);
});

test('postgres:// where store-pg is not installed: E_STORE_UNAVAILABLE naming what to install, nothing created', async (ctx) => {
  const p = start(ctx, withoutStorePg, 'finish', {
    store: 'postgres://pipeline:secret@127.0.0.1:1/runs',
  });
  const refused = await p.waitFor('refused');
  assert.is(refused.code, 'E_STORE_UNAVAILABLE');
  assert.match(refused.message as string, 'npm install @process-summary/store-pg pg');
  assert.not.match(refused.message as string, 'secret');
  assert.is((await p.exited).code, 3);
  assert.equal(readdirSync(ctx.root), []);
});

test('a file store pipeline never loads pg or store-pg: it runs where neither is installed', async (ctx) => {
  const p = start(ctx, withoutStorePg, 'finish', {});
  assert.equal(await p.waitFor('saved'), { event: 'saved', ok: true });
  const end = await endsWithin(p, 30_000);
  assert.is(end.code, 0, p.stderr());
  assert.equal(readdirSync(ctx.root), ['harvard_2024']);
});

test('a postgres:// URL that does not parse is refused before anything is opened', async (ctx) => {
  try {
    await createProcessSummary('r', 'p', { store: 'postgres://u:secret@[::1/db', ...quiet });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
    assert.not.match((err as Error).message, 'secret');
  }
  assert.equal(readdirSync(ctx.root), []);
});

test.run();
