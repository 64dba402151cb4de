import { testPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore, SCHEMA_VERSION } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';

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

test.run();
