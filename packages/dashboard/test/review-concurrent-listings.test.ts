/**
 * Review: every `/api/runs` and `/metrics` request lists and reads the whole store on its
 * own (routes/runs.ts, routes/metrics.ts call listRows each time), with no bound on how many
 * run at once and no sharing between requests in flight. Over a 10,000-run store each
 * listing holds every row in memory; N clients (or one script firing N requests, or N tabs
 * re-fetching on one `hello` after a server restart) cost N full reads at the same time. The
 * issue asks for bounded request resources: concurrent listings should be coalesced (one read
 * answered to every request waiting for it) or limited (503 + Retry-After past a cap).
 */
import { ProcessSummary } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStore, startServer } from './_server.js';

const RUNS = 200;
const CONCURRENT = 24;

test('concurrent /api/runs requests do not each read the whole store at once', async () => {
  const t = await fileStore();
  for (let i = 0; i < RUNS; i += 1) {
    const ref = { runName: `run${i}`, processName: 'collect', worker: null };
    const summary = new ProcessSummary(ref);
    const { lease } = await t.store.acquire(ref);
    summary.startProcess();
    summary.incrementItems({ processed: i, successful: i });
    summary.endProcess();
    await t.store.save(summary, lease);
    await t.store.release(lease);
  }
  let reads = 0;
  const store = new Proxy(t.store, {
    get(target, property) {
      if (property === 'read') {
        return (...args: unknown[]) => {
          reads += 1;
          return (target.read as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const running = await startServer(store);
  try {
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () => fetch(`${running.url}api/runs`)),
    );
    for (const answer of answers) {
      const status = answer.status;
      await answer.arrayBuffer();
      assert.ok(status === 200 || status === 503, String(status));
    }
    // Coalesced (or capped), a burst costs a few listings of the store, not one per request.
    assert.ok(
      reads <= 4 * RUNS,
      `${CONCURRENT} concurrent /api/runs read ${reads} summaries of a ${RUNS}-summary store`,
    );
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
