/**
 * Concurrent `/api/runs`, `/metrics` and identical timeline requests share one read of the
 * store in flight (src/http/coalesce.ts): N tabs re-fetching on one `hello` after a server
 * restart, or a script firing N requests, cost one listing, not N at once. Past its bounds
 * the coalescer refuses with 503 E_INVALID_STATE + Retry-After instead of queueing.
 */
import { ProcessSummary, type SummaryStore } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Coalescer } from '../src/http/coalesce.js';
import { HttpError } from '../src/http/json.js';
import { fileStore, startServer, type TestStore } from './_server.js';

const RUNS = 200;
const CONCURRENT = 24;

async function fillStore(t: TestStore): Promise<void> {
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
}

/** `store` with its calls of `method` counted. */
function counting(
  store: SummaryStore,
  method: 'read' | 'events',
): { store: SummaryStore; calls(): number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === method) {
        return (...args: unknown[]) => {
          calls += 1;
          return (target[method] as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, calls: () => calls };
}

test('concurrent /api/runs requests do not each read the whole store at once', async () => {
  const t = await fileStore();
  await fillStore(t);
  const counted = counting(t.store, 'read');
  const store = counted.store;
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
    const reads = counted.calls();
    assert.ok(
      reads <= 4 * RUNS,
      `${CONCURRENT} concurrent /api/runs read ${reads} summaries of a ${RUNS}-summary store`,
    );
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test('concurrent /metrics scrapes share one listing and get the same exposition', async () => {
  const t = await fileStore();
  await fillStore(t);
  const counted = counting(t.store, 'read');
  const running = await startServer(counted.store);
  try {
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () => fetch(`${running.url}metrics`)),
    );
    const bodies = new Set<string>();
    for (const answer of answers) {
      assert.is(answer.status, 200);
      bodies.add(await answer.text());
    }
    assert.ok(
      counted.calls() <= 4 * RUNS,
      `${CONCURRENT} scrapes read ${counted.calls()} summaries`,
    );
    assert.ok(bodies.size <= 4, `${bodies.size} different expositions`);
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test('identical concurrent timeline requests read the journal once', async () => {
  const t = await fileStore();
  await fillStore(t);
  const counted = counting(t.store, 'events');
  const running = await startServer(counted.store);
  try {
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        fetch(`${running.url}api/runs/run7/collect/timeline`),
      ),
    );
    for (const answer of answers) {
      assert.is(answer.status, 200);
      await answer.arrayBuffer();
    }
    assert.ok(
      counted.calls() <= 4,
      `${CONCURRENT} identical timelines read the journal ${counted.calls()} times`,
    );
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test('past its bounds the coalescer refuses with 503 and Retry-After instead of queueing', async () => {
  const shared = new Coalescer({ maxWaiting: 2, maxKeys: 1, reuseMs: 0 });
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let computed = 0;
  const compute = async () => {
    computed += 1;
    await gate;
    return 'rows';
  };
  const first = shared.run('runs', compute);
  const second = shared.run('runs', compute);
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return null;
  };
  const tooMany = refusal(() => shared.run('runs', compute));
  const otherKey = refusal(() => shared.run('metrics', compute));
  for (const error of [tooMany, otherKey]) {
    assert.ok(error instanceof HttpError, 'refused');
    assert.is((error as HttpError).status, 503);
    assert.is((error as HttpError).code, 'E_INVALID_STATE');
    assert.ok((error as HttpError).headers['Retry-After'] !== undefined);
  }
  release();
  assert.equal(await Promise.all([first, second]), ['rows', 'rows']);
  assert.is(computed, 1, 'one computation for both');
  // Once done, the next request reads again (no reuse window here).
  assert.is(await shared.run('runs', async () => 'again'), 'again');
});

test('a finished answer is reused for the reuse window only, and never after a change', async () => {
  let ms = 0;
  const shared = new Coalescer({ reuseMs: 1000, clock: () => ms });
  assert.is(await shared.run('runs', async () => 'first'), 'first');
  ms = 999;
  assert.is(await shared.run('runs', async () => 'second'), 'first', 'reused within 1 s');
  ms = 1000;
  assert.is(await shared.run('runs', async () => 'third'), 'third', 'read again after 1 s');
  shared.forget();
  assert.is(await shared.run('runs', async () => 'fourth'), 'fourth', 'read again after a change');
});

test.run();
