import { createManualClock, ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from '../src/db.js';
import { PgSummaryStore, SCHEMA_VERSION } from '../src/index.js';
import { migrate } from '../src/migrations.js';
import { resolveOptions } from '../src/options.js';
import { adminPool, freshSchema, freshStore } from './_helpers.js';

test('50 stores starting at once on a new schema migrate it exactly once', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const stores = Array.from({ length: 50 }, () => new PgSummaryStore({ url, schema, poolSize: 1 }));
  try {
    const results = await Promise.allSettled(stores.map((store) => store.list()));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed, [], 'every store came up');
    const admin = await adminPool();
    const versions = await admin.query(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.equal(
      versions.rows.map((r) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test('a schema migrated by a newer version is refused with E_UNSUPPORTED_VERSION and left alone', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const admin = await adminPool();
  const first = new PgSummaryStore({ url, schema });
  await first.ready();
  await first.close();
  await admin.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [
    SCHEMA_VERSION + 1,
  ]);
  const store = new PgSummaryStore({ url, schema });
  try {
    await store.list();
    assert.unreachable('used a newer schema');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_UNSUPPORTED_VERSION', String(err));
    assert.match((err as Error).message, /newer than this library/);
  } finally {
    await store.close();
  }
  const versions = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`);
  assert.is(versions.rows[0].n, SCHEMA_VERSION + 1);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

test('a database at version 1, with summaries in it, upgrades to version 2 once and keeps them', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const admin = await adminPool();
  const db = new Database(resolveOptions({ url, schema }));
  const stores: PgSummaryStore[] = [];
  try {
    await migrate(db, schema, 1);
    const tables = async () =>
      (
        await admin.query(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
          [schema],
        )
      ).rows.map((r) => r.table_name);
    assert.not.ok((await tables()).includes('consumer_state'), 'version 1 has no state table');
    // A summary written by a library of version 1: the row as it wrote it.
    const summary = new ProcessSummary({
      runName: 'old_run',
      processName: 'collect',
      clock: createManualClock(1_750_000_000),
    });
    summary.startProcess({ host: 'test-host', pid: 1 });
    summary.incrementItems({ processed: 7 });
    await admin.query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, written_at) VALUES ($1, $2, '', $3::json, now())`,
      ['old_run', 'collect', JSON.stringify(summary.getSummaryDict())],
    );
    // Several processes of the new version start together on it.
    for (let i = 0; i < 8; i++) stores.push(new PgSummaryStore({ url, schema, poolSize: 1 }));
    const [first, ...others] = stores as [PgSummaryStore, ...PgSummaryStore[]];
    const results = await Promise.allSettled([
      first.readState('alerts/default'),
      ...others.map((store) => store.list()),
    ]);
    assert.equal(
      results.filter((r) => r.status === 'rejected'),
      [],
      'every store came up',
    );
    assert.is((results[0] as PromiseFulfilledResult<unknown>).value, null);
    const versions = await admin.query(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.equal(
      versions.rows.map((r) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    assert.ok((await tables()).includes('consumer_state'));
    const loaded = await first.load({ runName: 'old_run', processName: 'collect' });
    assert.is(loaded?.summary.itemsProcessed, 7, 'the summary of version 1 is still there');
    assert.is(await first.writeState('alerts/default', { firing: ['x'] }, null), 1);
    assert.equal(await (stores[1] as PgSummaryStore).readState('alerts/default'), {
      value: { firing: ['x'] },
      version: 1,
    });
    const listed = await first.list();
    assert.equal(
      listed.summaries.map((s) => s.runName),
      ['old_run'],
    );
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await db.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test('a saved body of a few KB is kept out of the row, the listing columns in it (version 5)', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const clock = createManualClock(1_750_000_000);
    const summary = new ProcessSummary({ runName: 'wide', processName: 'collect', clock });
    summary.startProcess({ host: 'test-host', pid: 1 });
    // About 5 KB (a typical summary): too little to be moved out of the row by default once
    // compressed, which is the case version 5 changes.
    for (let i = 0; i < 25; i++) {
      clock.advance(1);
      summary.incrementItems({ processed: 100 });
      summary.addProgressUpdate(`Processing batch ${i}`, { batch_size: 100, shard: `s-${i % 4}` });
    }
    const { lease } = await store.acquire({ runName: 'wide', processName: 'collect' });
    await store.save(summary, lease);
    const admin = await adminPool();
    const row = await admin.query(
      `SELECT pg_column_toast_chunk_id(body) IS NOT NULL AS body_out,
         pg_column_toast_chunk_id(listing) IS NOT NULL AS listing_out,
         octet_length(body::text) AS body_bytes
       FROM ${schema}.summaries WHERE run_name = 'wide'`,
    );
    assert.ok(row.rows[0].body_bytes > 3000, 'a body of a few KB');
    assert.is(row.rows[0].body_out, true, 'the body is in the TOAST table');
    assert.is(row.rows[0].listing_out, false, 'the listing projection is in the row');
    const read = await store.read({ runName: 'wide', processName: 'collect' });
    const dict = read?.dict as { items_processed?: number; progress_updates?: unknown[] } | null;
    assert.is(dict?.items_processed, summary.itemsProcessed, 'and it reads back whole');
    assert.is(dict?.progress_updates?.length, 25);
  } finally {
    await drop();
  }
});

test.run();
