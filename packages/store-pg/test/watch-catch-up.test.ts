import { ProcessSummary, type SummaryRef, sameRef } from '@process-summary/core';
import { testPostgres, waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema } from './_helpers.js';
import { HoldingProxy } from './_holding-proxy.js';

// watch catches up after a reconnect with `change_seq > <the highest it saw>`. But change_seq is
// taken from a sequence when a transaction writes, not when it commits: a transaction that took
// a lower number and commits after a higher one was seen, while the watch is between two
// connections, is neither notified (no one listens) nor caught up (its number is below the
// mark). The README promises "nothing missed".
const test = suite('watch and a change that commits while it reconnects');

test('a change whose transaction began before the last catch-up and commits during the reconnect is reported', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const writers = await HoldingProxy.start(url);
  const watchers = await HoldingProxy.start(url);
  const slow = new PgSummaryStore({ url: writers.url, schema, poolSize: 1 });
  const fast = new PgSummaryStore({ url, schema });
  const watcher = new PgSummaryStore({ url: watchers.url, schema, connectTimeoutMs: 120_000 });
  const controller = new AbortController();
  const seen: SummaryRef[] = [];
  const saw = (ref: SummaryRef) => seen.some((r) => sameRef(r, ref));
  const ref = (processName: string) => ({ runName: 'watched', processName });
  let watching: Promise<void> = Promise.resolve();
  try {
    await slow.ready();
    // X: an acquire, its transaction open (its COMMIT held on the way), its change_seq taken.
    const held = writers.proxy.hold('COMMIT');
    const acquiring = slow.acquire(ref('x'));
    await held;
    // Y commits with a higher change_seq.
    await fast.save(new ProcessSummary(ref('y')));

    watching = (async () => {
      for await (const changed of watcher.watch({ signal: controller.signal, intervalMs: 50 }))
        seen.push(changed);
    })();
    await waitUntil(async () => {
      await fast.save(new ProcessSummary(ref('ready')));
      return saw(ref('ready'));
    });

    // The watch loses its connection and cannot get back for a while; X commits meanwhile.
    watchers.proxy.pauseNew();
    watchers.proxy.cutAll();
    await waitUntil(() => watchers.proxy.waitingCount > 0);
    writers.proxy.release();
    await acquiring;
    watchers.proxy.resumeNew();

    // Once changes made after the reconnect come through, the catch-up is done.
    await waitUntil(async () => {
      await fast.save(new ProcessSummary(ref('after')));
      return saw(ref('after'));
    });
    await fast.save(new ProcessSummary(ref('last')));
    await waitUntil(() => saw(ref('last')));
    assert.ok(saw(ref('x')), `x was never reported; seen: ${seen.map((r) => r.processName)}`);
  } finally {
    controller.abort();
    await watching;
    await Promise.all([slow.close(), fast.close(), watcher.close()]);
    await writers.proxy.close();
    await watchers.proxy.close();
    await (await adminPool()).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test.run();
