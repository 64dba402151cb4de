import { ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { FaultyProxy } from './_proxy.js';

// An acquire is a transaction; the network can lose the answer to its COMMIT, as it can lose a
// save's. The save side was made safe (write ids); the acquire side was not: the lease was
// granted in the database, the caller never learnt its epoch, and its retry is refused as a
// concurrent run of... itself. A pipeline that retries its start (or recovery's
// createProcessSummary called again) is locked out of its own run for staleAfterSeconds.
const test = suite('an acquire whose answer the network lost');

// The connection cut under acquire's transaction must not crash the process (held by
// server-restart-crash.test.ts); should that regress, the unhandled 'error' would end this
// process before this test shows its own failure: absorbed during this test only.
const absorb = (err: Error) => {
  if (/Connection terminated unexpectedly/.test(err.message)) return;
  throw err;
};
test.before(() => {
  process.on('uncaughtException', absorb);
});
test.after(() => {
  process.off('uncaughtException', absorb);
});
const REF = { runName: 'network', processName: 'acquire' };

test('the retry of an acquire whose COMMIT answer was lost gets the lease, not E_CONCURRENT_RUN naming its own pid', async () => {
  const target = new URL((await testPostgres()).url);
  const proxy = await FaultyProxy.start({ host: target.hostname, port: Number(target.port) });
  const via = new URL(target.href);
  via.port = String(proxy.port);
  const schema = freshSchema();
  const store = new PgSummaryStore({ url: via.href, schema, poolSize: 1 });
  try {
    await store.ready();
    proxy.dropAnswer('COMMIT');
    try {
      await store.acquire(REF);
      assert.unreachable('the acquire was answered');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
    }
    // It did commit: this process is recorded as the owner.
    const owner = await (await adminPool()).query(
      `SELECT owner_pid, owner_epoch FROM ${schema}.summaries`,
    );
    assert.is(owner.rows[0]?.owner_pid, process.pid, 'the lost acquire committed');

    let lease: Awaited<ReturnType<PgSummaryStore['acquire']>>['lease'];
    try {
      ({ lease } = await store.acquire(REF));
    } catch (err) {
      assert.unreachable(`the retry was refused: ${String(err)}`);
      throw err;
    }
    assert.ok(lease.epoch >= Number(owner.rows[0]?.owner_epoch));
    const summary = new ProcessSummary(REF);
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary, lease);
    assert.is((await store.read(REF))?.epoch, lease.epoch);
  } finally {
    await store.close();
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test.run();
