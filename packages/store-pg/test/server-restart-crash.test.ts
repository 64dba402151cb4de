import { fileURLToPath } from 'node:url';
import {
  startChild,
  startTestPostgres,
  type TestPostgres,
  waitUntil,
} from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freshSchema } from './_helpers.js';

// "The pipeline never dies for its bookkeeping": a pipeline process holding a PgSummaryStore
// must survive the server going away, whatever the store was doing at that moment. These tests
// restart the server: they use one of their own.
type Ctx = { server: TestPostgres };
const test = suite<Ctx>('a pipeline process survives the server restarting');

test.before(async (ctx) => {
  ctx.server = await startTestPostgres({ forceEmbedded: true });
});
test.after(async (ctx) => {
  await ctx.server.stop();
});

const CHILD = fileURLToPath(new URL('./_pipeline-child.ts', import.meta.url));

function startPipeline(url: string, schema: string, mode: string) {
  return startChild([
    process.execPath,
    '--conditions=@process-summary/source',
    '--import',
    'tsx',
    CHILD,
    url,
    schema,
    mode,
  ]);
}

test('the server restarting while acquire holds a transaction open fails the acquire with a code; the process lives on', async ({
  server,
}) => {
  const schema = freshSchema();
  const child = startPipeline(server.url, schema, 'acquire-blocked');
  const locker = new pg.Client({ connectionString: server.url });
  locker.on('error', () => {});
  try {
    await child.waitFor('ready');
    await locker.connect();
    // The child's acquire locks this row inside its transaction: hold it, so that the server
    // goes down while the acquire's connection is checked out of the pool.
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM ${schema}.summaries FOR UPDATE`);
    child.child.kill('SIGUSR2');
    await waitUntil(async () => {
      // (A transaction sees pg_stat_activity as it was when it first looked: clear that.)
      await locker.query('SELECT pg_stat_clear_snapshot()');
      const waiting = await locker.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()`,
      );
      return (waiting.rowCount ?? 0) > 0;
    });
    await server.control('restart');
    await Promise.race([child.waitFor('acquire'), child.exited]);
    child.child.kill('SIGUSR2');
    const { code, signal } = await child.exited;
    const stderr = child.stderr();
    assert.not.match(stderr, /Unhandled 'error' event/, stderr);
    assert.is(signal, null);
    assert.is(code, 0, stderr);
    const acquire = child.messages.find((m) => m.event === 'acquire');
    assert.is(acquire?.outcome, 'E_STORE_UNAVAILABLE');
    assert.equal(
      child.messages.find((m) => m.event === 'saved-after'),
      { event: 'saved-after', ok: true },
    );
  } finally {
    child.child.kill('SIGKILL');
    await locker.end().catch(() => {});
  }
});

// Holds today (the pool handles its idle connections' errors); kept so it stays so.
test('the server restarting while the process is idle: nothing is thrown at it, and its next save stores', async ({
  server,
}) => {
  const schema = freshSchema();
  const child = startPipeline(server.url, schema, 'idle');
  try {
    await child.waitFor('saved');
    await server.control('restart');
    child.child.kill('SIGUSR2');
    const { code } = await child.exited;
    assert.is(code, 0, child.stderr());
    assert.ok(child.messages.some((m) => m.event === 'saved-after'));
    const check = new pg.Client({ connectionString: server.url });
    await check.connect();
    const row = await check.query(
      `SELECT body->>'items_processed' AS n FROM ${schema}.summaries WHERE worker = 'idle'`,
    );
    await check.end();
    assert.is(row.rows[0]?.n, '2');
  } finally {
    child.child.kill('SIGKILL');
  }
});

test.run();
