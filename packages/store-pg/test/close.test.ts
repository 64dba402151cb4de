import { ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';

// A pipeline's shutdown is `save` then `close`: often without awaiting the save first (a signal
// handler, `finally { void store.save(s); await store.close() }`), or with two closers (a
// signal handler and the normal path). close() ends the pool under the save: the last save of
// the run, the one that says how it ended, is lost.
const test = suite('close() and the calls around it');
const REF = { runName: 'closing', processName: 'collect' };

async function withSchema(run: (url: string, schema: string) => Promise<void>): Promise<void> {
  const { url } = await testPostgres();
  const schema = freshSchema();
  try {
    await run(url, schema);
  } finally {
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

test('a save called before close() is stored: close waits for it', async () => {
  await withSchema(async (url, schema) => {
    const store = new PgSummaryStore({ url, schema });
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    summary.incrementItems({ processed: 42, successful: 42 });
    summary.addProgressUpdate('the last words');
    const saved = store.save(summary, lease);
    await store.close();
    let failure: unknown = null;
    await saved.catch((err) => {
      failure = err;
    });
    assert.is(failure, null, `the save called before close() failed: ${String(failure)}`);
    const reader = new PgSummaryStore({ url, schema });
    try {
      assert.is((await reader.read(REF))?.dict?.items_processed, 42);
    } finally {
      await reader.close();
    }
  });
});

test('a save queued behind another when close() is called is stored too', async () => {
  await withSchema(async (url, schema) => {
    const store = new PgSummaryStore({ url, schema });
    const { lease } = await store.acquire(REF);
    const summary = new ProcessSummary(REF);
    await store.save(summary, lease);
    summary.incrementItems({ processed: 1, successful: 1 });
    const first = store.save(summary, lease).catch((err) => err);
    summary.incrementItems({ processed: 1, successful: 1 });
    const second = store.save(summary, lease).catch((err) => err);
    await store.close();
    assert.equal([await first, await second], [undefined, undefined]);
    const reader = new PgSummaryStore({ url, schema });
    try {
      assert.is((await reader.read(REF))?.dict?.items_processed, 2);
    } finally {
      await reader.close();
    }
  });
});

test('close() twice resolves both times (a signal handler and the normal path may both close)', async () => {
  await withSchema(async (url, schema) => {
    const store = new PgSummaryStore({ url, schema });
    await store.ready();
    await store.close();
    await store.close();
  });
});

test('a call after close() is refused as a closed store (E_INVALID_STATE), not as "the database refused" (E_IO)', async () => {
  await withSchema(async (url, schema) => {
    const store = new PgSummaryStore({ url, schema });
    await store.ready();
    await store.close();
    try {
      await store.save(new ProcessSummary(REF));
      assert.unreachable('saved through a closed store');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_INVALID_STATE', String(err));
    }
  });
});

test.run();
