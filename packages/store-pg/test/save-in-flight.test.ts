import { ProcessSummary } from '@process-summary/core';
import { testPostgres, waitUntil } from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { HoldingProxy } from './_holding-proxy.js';

// The lost-answer fix asks, before the next save, whether the unsure one committed. But "not
// committed yet" is not "will not commit": when the network dies under a statement the server
// is still running (here: waiting for a row lock; as well: slow under load), the server does not
// notice the client is gone until it answers. It commits after the check, and the next save,
// having been told "no", appends the same journal lines again.
const test = suite('a save the server is still running when its connection dies');
const REF = { runName: 'inflight', processName: 'collect' };

async function journal(schema: string): Promise<string[]> {
  const rows = await (await adminPool()).query(
    `SELECT event->>'message' AS message FROM ${schema}.journal WHERE event->>'type' = 'progress' ORDER BY seq`,
  );
  return rows.rows.map((r) => r.message);
}

test('its journal lines are stored once, whether it commits before or after the next save asks', async () => {
  const { url } = await testPostgres();
  const { proxy, url: via } = await HoldingProxy.start(url);
  const schema = freshSchema();
  const store = new PgSummaryStore({ url: via, schema, poolSize: 2 });
  const locker = new pg.Client({ connectionString: url });
  const looker = new pg.Client({ connectionString: url });
  try {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.addProgressUpdate('first');
    await store.save(summary, lease);

    await locker.connect();
    await looker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM ${schema}.summaries FOR UPDATE`);
    const waiting = async (n: number) => {
      const rows = await looker.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH saved AS%'`,
      );
      return (rows.rowCount ?? 0) >= n;
    };

    summary.addProgressUpdate('in flight');
    proxy.cutClientAfter(':save:owned');
    try {
      await store.save(summary, lease);
      assert.unreachable('the save was answered');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
    }
    await waitUntil(() => waiting(1));

    summary.incrementItems({ processed: 5, successful: 5 });
    summary.addProgressUpdate('next');
    const next = store.save(summary, lease);
    // Both wait for the row: the unsure one first, then the next one.
    await waitUntil(() => waiting(2));
    await locker.query('ROLLBACK');
    await next;

    assert.equal(await journal(schema), ['first', 'in flight', 'next']);
    assert.is((await store.read(REF))?.dict?.items_processed, 5);
  } finally {
    await locker.end().catch(() => {});
    await looker.end().catch(() => {});
    await store.close();
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test.run();
