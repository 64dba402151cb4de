import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema, freshStore } from './_helpers.js';
import { FaultyProxy } from './_proxy.js';

const test = suite('PgSummaryStore consumer state');

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

async function withProxiedStore(
  run: (store: PgSummaryStore, proxy: FaultyProxy) => Promise<void>,
): Promise<void> {
  const target = new URL((await testPostgres()).url);
  const proxy = await FaultyProxy.start({ host: target.hostname, port: Number(target.port) });
  const via = new URL(target.href);
  via.port = String(proxy.port);
  const schema = freshSchema();
  const store = new PgSummaryStore({ url: via.href, schema, poolSize: 1 });
  try {
    await run(store, proxy);
  } finally {
    await store.close();
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

test('a document is a row of consumer_state: its JSON verbatim, its version, when it was written', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.writeState('alerts/default', { text: 'a\u0000b', n: 1 }, null);
    await store.writeState('alerts/default', { text: 'a\u0000b', n: 2 }, 1);
    const rows = await (await adminPool()).query(
      `SELECT key, value::text AS text, version::int AS version, updated_at > now() - interval '1 hour' AS recent FROM ${schema}.consumer_state`,
    );
    assert.equal(rows.rows, [
      { key: 'alerts/default', text: '{"text":"a\\u0000b","n":2}', version: 2, recent: true },
    ]);
    const summaries = await (await adminPool()).query(
      `SELECT count(*)::int AS n FROM ${schema}.summaries`,
    );
    assert.is(summaries.rows[0].n, 0, 'no summary row was made');
  } finally {
    await drop();
  }
});

test('a state write lost on its way fails with E_STORE_UNAVAILABLE and changes nothing; the store goes on', async () => {
  await withProxiedStore(async (store, proxy) => {
    await store.writeState('doc', { n: 1 }, null);
    proxy.dropRequest('process-summary-update-state');
    await failsWith(() => store.writeState('doc', { n: 2 }, 1), 'E_STORE_UNAVAILABLE');
    assert.equal(await store.readState('doc'), { value: { n: 1 }, version: 1 });
    assert.is(await store.writeState('doc', { n: 2 }, 1), 2);
    proxy.dropRequest('process-summary-read-state');
    await failsWith(() => store.readState('doc'), 'E_STORE_UNAVAILABLE');
    assert.equal(await store.readState('doc'), { value: { n: 2 }, version: 2 });
  });
});

test('a state write whose answer was lost fails with E_STORE_UNAVAILABLE, committed: a read shows it, a retry conflicts', async () => {
  await withProxiedStore(async (store, proxy) => {
    await store.writeState('doc', { n: 1 }, null);
    proxy.dropAnswer('process-summary-update-state');
    await failsWith(() => store.writeState('doc', { n: 2 }, 1), 'E_STORE_UNAVAILABLE');
    await failsWith(() => store.writeState('doc', { n: 2 }, 1), 'E_CONFLICT');
    assert.equal(await store.readState('doc'), { value: { n: 2 }, version: 2 });
  });
});

test.run();
