import { ProcessSummary, type SummaryRef, sameRef } from '@process-summary/core';
import { startTestPostgres, type TestPostgres, waitUntil } from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { freshSchema } from './_helpers.js';

// These tests stop and restart the server: they use one of their own, never the shared one.
type Ctx = { server: TestPostgres };
const test = suite<Ctx>('PgSummaryStore faults on a server of its own');

test.before(async (ctx) => {
  ctx.server = await startTestPostgres({ forceEmbedded: true });
});
test.after(async (ctx) => {
  await ctx.server.stop();
});

const REF = { runName: 'faults', processName: 'collect' };

async function failsWith(action: () => Promise<unknown>, code: string): Promise<Error> {
  try {
    await action();
  } catch (err) {
    assert.is((err as { code?: string }).code, code, String(err));
    return err as Error;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

async function labels(store: PgSummaryStore, ref: SummaryRef): Promise<string[]> {
  const out: string[] = [];
  for await (const record of store.events(ref)) {
    const event = record.event;
    out.push(event === null ? 'problem' : event.type === 'progress' ? event.message : event.type);
  }
  return out;
}

test('saves during an outage fail with E_STORE_UNAVAILABLE; after it the store reconnects and the next save stores everything', async ({
  server,
}) => {
  const store = new PgSummaryStore({
    url: server.url,
    schema: freshSchema(),
    connectTimeoutMs: 2000,
  });
  try {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.startProcess({ pid: process.pid });
    summary.addProgressUpdate('before');
    await store.save(summary, lease);

    await server.control('stop-only');
    summary.incrementItems({ processed: 5, successful: 5 });
    summary.addProgressUpdate('during 1');
    await failsWith(() => store.save(summary, lease), 'E_STORE_UNAVAILABLE');
    summary.addProgressUpdate('during 2');
    await failsWith(() => store.save(summary, lease), 'E_STORE_UNAVAILABLE');
    await server.control('start');

    summary.incrementItems({ processed: 1, successful: 1 });
    summary.addProgressUpdate('after');
    await store.save(summary, lease);
    const loaded = await store.load(REF);
    assert.is(loaded?.summary.itemsProcessed, 6);
    assert.equal(await labels(store, REF), [
      'session_start',
      'before',
      'during 1',
      'during 2',
      'after',
    ]);
  } finally {
    await store.close();
  }
});

test('a restart drops every connection; the store goes on with new ones', async ({ server }) => {
  const store = new PgSummaryStore({ url: server.url, schema: freshSchema(), poolSize: 3 });
  try {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    await Promise.all([store.save(summary, lease), store.list(), store.read(REF)]);
    await server.control('restart');
    // The pooled connections are dead; a call may fail once on one of them, never twice.
    summary.incrementItems({ processed: 3, successful: 3 });
    try {
      await store.save(summary, lease);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
      await store.save(summary, lease);
    }
    assert.is((await store.load(REF))?.summary.itemsProcessed, 3);
  } finally {
    await store.close();
  }
});

test('watch survives a restart and reports what changed while it was reconnecting', async ({
  server,
}) => {
  const schema = freshSchema();
  const store = new PgSummaryStore({ url: server.url, schema });
  const writer = new PgSummaryStore({ url: server.url, schema });
  const controller = new AbortController();
  const seen: SummaryRef[] = [];
  try {
    await store.ready();
    const watching = (async () => {
      for await (const ref of store.watch({ signal: controller.signal, intervalMs: 50 }))
        seen.push(ref);
    })();
    const first = { runName: 'watched', processName: 'first' };
    const second = { runName: 'watched', processName: 'second' };
    const one = new ProcessSummary(first);
    await waitUntil(async () => {
      await writer.save(one);
      return seen.some((ref) => sameRef(ref, first));
    });
    // The listening session is cut (as a restart or a proxy would); a change lands at once,
    // before the watch can listen again: it must be caught up, not missed.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN ${schema}_changes%'`,
    );
    await admin.end();
    await writer.save(new ProcessSummary(second));
    await waitUntil(() => seen.some((ref) => sameRef(ref, second)));

    await server.control('restart');
    const third = { runName: 'watched', processName: 'third' };
    await waitUntil(async () => {
      try {
        await writer.save(new ProcessSummary(third));
      } catch {}
      return seen.some((ref) => sameRef(ref, third));
    });
    controller.abort();
    await watching;
  } finally {
    controller.abort();
    await store.close();
    await writer.close();
  }
});

test('a statement held up past statementTimeoutMs fails with E_STORE_UNAVAILABLE and the store goes on', async ({
  server,
}) => {
  const schema = freshSchema();
  // Long enough for the schema's set-up and the first save on a loaded machine; the save the
  // test blocks waits it out.
  const store = new PgSummaryStore({ url: server.url, schema, statementTimeoutMs: 2000 });
  const blocker = new pg.Client({ connectionString: server.url });
  try {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    await store.save(summary, lease);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${schema}.summaries FOR UPDATE`);
    summary.incrementItems({ processed: 2 });
    const err = await failsWith(() => store.save(summary, lease), 'E_STORE_UNAVAILABLE');
    assert.match(err.message, /timed out/);
    await blocker.query('ROLLBACK');
    await store.save(summary, lease);
    assert.is((await store.load(REF))?.summary.itemsProcessed, 2);
  } finally {
    await blocker.end().catch(() => {});
    await store.close();
  }
});

test.run();
