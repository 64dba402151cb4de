import { randomBytes } from 'node:crypto';
import { ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';

const test = suite('the schema option and the privileges the store needs');
const REF = { runName: 'schema', processName: 'collect' };

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

// The schema is spliced unquoted into every statement; the pattern lets through SQL reserved
// words and PostgreSQL's own schemas. "Bad input: coded error before anything is touched": such
// a name must be refused by the constructor (or quoted, and then work in a schema of its own).
// Today `user` and `order` fail at the first call as E_IO "syntax error", `pg_temp` as E_IO,
// and `information_schema` is accepted: the store creates its tables in the SQL-standard
// catalogue schema.
for (const schema of ['user', 'order', 'select', 'table']) {
  test(`schema ${JSON.stringify(schema)} (a reserved word) is refused at once or works`, async () => {
    const { url } = await testPostgres();
    let store: PgSummaryStore;
    try {
      store = new PgSummaryStore({ url, schema });
    } catch (err) {
      assert.is(codeOf(err), 'E_INVALID_ARGUMENT', String(err));
      return;
    }
    try {
      await store.save(new ProcessSummary(REF));
      assert.ok(await store.read(REF));
    } catch (err) {
      assert.unreachable(`accepted by the constructor, then failed: ${String(err)}`);
    } finally {
      await store.close().catch(() => {});
      await (await adminPool()).query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
}

for (const schema of ['information_schema', 'pg_catalog', 'pg_temp', 'pg_toast']) {
  test(`schema ${JSON.stringify(schema)} (PostgreSQL's own) is refused by the constructor`, async () => {
    const { url } = await testPostgres();
    let refused: unknown = null;
    try {
      await new PgSummaryStore({ url, schema }).close();
    } catch (err) {
      refused = err;
    }
    assert.is(codeOf(refused), 'E_INVALID_ARGUMENT', `refused with ${String(refused)}`);
  });
}

// Production databases commonly run migrations as an owner role and the application as a role
// that may only read and write the tables. The store runs `CREATE SCHEMA IF NOT EXISTS` and
// `CREATE TABLE IF NOT EXISTS` at every start, which needs CREATE on the database even when
// there is nothing to create: such a role cannot use the store at all.
test('a role that may only use the (migrated) tables can save, read, acquire and list', async () => {
  const { url } = await testPostgres();
  const admin = await adminPool();
  const schema = freshSchema();
  const role = `app_${randomBytes(4).toString('hex')}`;
  const migrator = new PgSummaryStore({ url, schema });
  await migrator.ready();
  await migrator.close();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-password'`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await admin.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
  );
  await admin.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
  const asApp = new URL(url);
  asApp.username = role;
  asApp.password = 'app-password';
  const store = new PgSummaryStore({ url: asApp.href, schema });
  try {
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.incrementItems({ processed: 3, successful: 3 });
    await store.save(summary, lease);
    assert.is((await store.read(REF))?.dict?.items_processed, 3);
    assert.is((await store.list()).summaries.length, 1);
    await store.release(lease);
  } catch (err) {
    assert.unreachable(`the application role could not use the store: ${String(err)}`);
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`DROP OWNED BY ${role}`);
    await admin.query(`DROP ROLE ${role}`);
  }
});

test.run();
