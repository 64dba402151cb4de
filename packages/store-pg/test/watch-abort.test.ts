import { testPostgres, waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { HoldingProxy } from './_holding-proxy.js';

// watch's contract: the signal "stops the iteration (it then ends without error)". While the
// watch is (re)connecting to a server that does not answer (down, black-holed, a proxy waiting
// for a backend), neither the signal nor close() is looked at until the connection attempt
// times out (connectTimeoutMs, 10 s by default; here a slow network's 120 s): a dashboard
// cannot shut down, and close() resolves while the watch's socket still holds the process.
const test = suite('watch stopped while it is connecting');

test('aborting a watch that is waiting for its connection ends the iteration without waiting for the server', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const { proxy, url: via } = await HoldingProxy.start(url);
  const store = new PgSummaryStore({ url: via, schema, connectTimeoutMs: 120_000 });
  const controller = new AbortController();
  let ended = false;
  let watching: Promise<void> = Promise.resolve();
  try {
    await store.ready();
    proxy.pauseNew();
    watching = (async () => {
      for await (const _ of store.watch({ signal: controller.signal, intervalMs: 50 })) {
      }
      ended = true;
    })();
    await waitUntil(() => proxy.waitingCount > 0);
    controller.abort();
    await waitUntil(() => ended).catch(() => {});
    assert.ok(ended, 'the iteration went on after its signal aborted, waiting for the server');
  } finally {
    controller.abort();
    proxy.resumeNew();
    await watching;
    await store.close();
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test('close() while a watch is waiting for its connection ends the watch', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const { proxy, url: via } = await HoldingProxy.start(url);
  const store = new PgSummaryStore({ url: via, schema, connectTimeoutMs: 120_000 });
  let ended = false;
  let watching: Promise<void> = Promise.resolve();
  try {
    await store.ready();
    proxy.pauseNew();
    watching = (async () => {
      for await (const _ of store.watch({ intervalMs: 50 })) {
      }
      ended = true;
    })();
    await waitUntil(() => proxy.waitingCount > 0);
    await store.close();
    await waitUntil(() => ended).catch(() => {});
    assert.ok(ended, 'the watch went on after close(), waiting for the server');
  } finally {
    proxy.resumeNew();
    await watching;
    await store.close().catch(() => {});
    await proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test.run();
