import { createManualClock, ProcessSummary, type SummaryRef } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { HoldingProxy } from './_holding-proxy.js';

// readListing calls in flight together (a listing reading ahead) share one connection of the
// pool, answered one after another, instead of opening a backend per call.

const refs: SummaryRef[] = ['a', 'b', 'c', 'd'].map((processName) => ({
  runName: 'lane',
  processName,
}));

async function setUp() {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const pool = new pg.Pool({ connectionString: url, max: 10, allowExitOnIdle: true });
  const store = new PgSummaryStore({ pool, schema });
  for (const [i, ref] of refs.entries()) {
    const summary = new ProcessSummary({ ...ref, clock: createManualClock(1_750_000_000) });
    summary.incrementItems({ processed: i + 1, successful: i + 1 });
    await store.save(summary);
  }
  // Every connection the saves opened closed: what follows starts from one.
  await pool.end();
  const listing = new pg.Pool({ connectionString: url, max: 10, allowExitOnIdle: true });
  const reader = new PgSummaryStore({ pool: listing, schema });
  await reader.ready();
  return {
    pool: listing,
    store: reader,
    drop: async () => {
      await reader.close();
      await listing.end();
      await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

test('readListing calls in flight together share one connection and each gets its own answer, in order', async () => {
  const { pool, store, drop } = await setUp();
  try {
    assert.is(pool.totalCount, 1, 'the connection of the migration check');
    const alone = [];
    for (const ref of refs) alone.push(await store.read(ref, { full: false }));
    const together = await Promise.all([
      store.readListing([refs[0] as SummaryRef]),
      store.readListing([refs[1] as SummaryRef, refs[2] as SummaryRef]),
      store.readListing([refs[3] as SummaryRef]),
      store.readListing([...refs].reverse()),
      store.readListing([{ runName: 'lane', processName: 'missing' }]),
    ]);
    assert.is(pool.totalCount, 1, 'no connection opened for the calls in flight');
    const items = (reads: unknown[]) =>
      reads.map(
        (read) =>
          (read as { dict?: { items_processed?: number } } | null)?.dict?.items_processed ?? null,
      );
    assert.equal(items(together[0]), [1]);
    assert.equal(items(together[1]), [2, 3]);
    assert.equal(items(together[2]), [4]);
    assert.equal(items(together[3]), [4, 3, 2, 1]);
    assert.equal(together[4], [null]);
    assert.equal(items(alone), [1, 2, 3, 4], 'the same summaries read one by one');
    // The connection went back to the pool once no call was left.
    assert.is(pool.idleCount, 1);
  } finally {
    await drop();
  }
});

test('a lane connection lost under calls in flight fails them with E_STORE_UNAVAILABLE, and the next call answers on another', async () => {
  const { url } = await testPostgres();
  const { proxy, url: via } = await HoldingProxy.start(url);
  const { store: seeded, drop } = await setUp();
  const pool = new pg.Pool({ connectionString: via, max: 10, allowExitOnIdle: true });
  const store = new PgSummaryStore({ pool, schema: seeded.schema });
  try {
    await store.ready();
    // The first call's query is held on its way; the others wait behind it on the lane.
    const held = proxy.hold('listing-entries');
    const calls = [store.readListing(refs), store.readListing(refs), store.readListing(refs)].map(
      (call) =>
        call.then(
          () => 'answered',
          (err: { code?: string }) => err.code,
        ),
    );
    await held;
    assert.is(pool.totalCount, 1, 'the calls wait on the one connection');
    proxy.cutAll();
    assert.equal(await Promise.all(calls), [
      'E_STORE_UNAVAILABLE',
      'E_STORE_UNAVAILABLE',
      'E_STORE_UNAVAILABLE',
    ]);
    const after = await store.readListing(refs);
    assert.equal(
      after.map((read) => read?.dict?.items_processed),
      [1, 2, 3, 4],
    );
  } finally {
    // Cut first: a query still held would keep the pool from ending.
    await proxy.close();
    await store.close();
    await pool.end();
    await drop();
  }
});

test.run();
