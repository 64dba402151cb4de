import { ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { FaultyProxy } from './_proxy.js';

const test = suite('PgSummaryStore when the network loses a save');
const REF = { runName: 'network', processName: 'collect' };

async function journalMessages(schema: string): Promise<string[]> {
  const rows = await (await adminPool()).query(
    `SELECT event->>'message' AS message FROM ${schema}.journal WHERE event->>'type' = 'progress' ORDER BY seq`,
  );
  return rows.rows.map((r) => r.message);
}

async function withProxiedStore(
  run: (store: PgSummaryStore, proxy: FaultyProxy, schema: string) => Promise<void>,
): Promise<void> {
  const target = new URL((await testPostgres()).url);
  const proxy = await FaultyProxy.start({ host: target.hostname, port: Number(target.port) });
  const via = new URL(target.href);
  via.port = String(proxy.port);
  const schema = freshSchema();
  const store = new PgSummaryStore({ url: via.href, schema, poolSize: 1 });
  try {
    await run(store, proxy, schema);
  } finally {
    await store.close();
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

test('a save committed whose answer was lost: its journal lines are not appended again', async () => {
  await withProxiedStore(async (store, proxy, schema) => {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.addProgressUpdate('first');
    await store.save(summary, lease);
    summary.addProgressUpdate('answer lost');
    proxy.dropAnswer(':save:owned'); // the save's prepared statement, named in every Bind
    try {
      await store.save(summary, lease);
      assert.unreachable('the save was answered');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
    }
    assert.equal(await journalMessages(schema), ['first', 'answer lost'], 'it did commit');
    summary.addProgressUpdate('next');
    await store.save(summary, lease);
    assert.equal(await journalMessages(schema), ['first', 'answer lost', 'next']);
  });
});

test('a save lost on its way: its journal lines go with the next save, once', async () => {
  await withProxiedStore(async (store, proxy, schema) => {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.addProgressUpdate('first');
    await store.save(summary, lease);
    summary.addProgressUpdate('request lost');
    proxy.dropRequest(':save:owned');
    try {
      await store.save(summary, lease);
      assert.unreachable('the save was answered');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE', String(err));
    }
    assert.equal(await journalMessages(schema), ['first'], 'it never ran');
    summary.addProgressUpdate('next');
    await store.save(summary, lease);
    assert.equal(await journalMessages(schema), ['first', 'request lost', 'next']);
  });
});

test.run();
