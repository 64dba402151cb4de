import { ProcessSummary } from '@process-summary/core';
import { waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshStore } from './_helpers.js';

// README: "close() ends the pool (when the store created it) and every watch". It aborts the
// watches' signal, but a watch only looks at it when its consumer asks for the next change: a
// consumer busy with the last one (a dashboard rendering, an alerter sending) keeps the LISTEN
// connection open after close() resolved, and with it the process.
const test = suite('close() and a watch whose consumer is busy');

test('after close() resolves, no LISTEN session of the store is left on the server', async () => {
  const { store, url, schema, drop } = await freshStore();
  const watcher = new PgSummaryStore({ url, schema });
  const admin = await adminPool();
  const listening = async () => {
    // The watch's session: named apart, its last statement one of its catch-up's on this schema.
    const rows = await admin.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name = 'process-summary watch'
         AND pid <> pg_backend_pid() AND (query LIKE $1 OR query = 'COMMIT')`,
      [`%"${schema}".%`],
    );
    return rows.rowCount ?? 0;
  };
  const iterator = watcher.watch()[Symbol.asyncIterator]();
  try {
    await watcher.ready();
    const first = iterator.next();
    let got = false;
    void first.then(() => {
      got = true;
    });
    const ref = { runName: 'busy', processName: 'consumer' };
    // Saved until the watch reports it: a save made before the watch listens is not a change
    // "from now on" for it.
    await waitUntil(async () => {
      await store.save(new ProcessSummary(ref));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return got && (await listening()) > 0;
    });
    await first;
    // The consumer is busy with the change it got, and the store is closed.
    await watcher.close();
    await waitUntil(async () => (await listening()) === 0).catch(() => {});
    assert.is(await listening(), 0, 'the watch still listens after close()');
  } finally {
    await watcher.close().catch(() => {});
    // (Ends this test's watch, so the test process is not held open by it.)
    await iterator.return?.();
    await drop();
  }
});

test.run();
