// The contract suite lives in tools/store-contract, which depends on core: imported by path,
// since a dev dependency back on it would make the workspace graph cyclic.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runStoreContract } from '../../../tools/store-contract/src/index.js';
import { createManualClock, MemorySummaryStore, ProcessSummary } from '../src/index.js';
import { T0 } from './_helpers.js';

runStoreContract('MemorySummaryStore', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  return {
    store,
    // Memory judges an owner by its heartbeat alone: past the default threshold it is gone.
    makeOwnerGone: async () => clock.advance(301),
    cleanup: async () => {},
  };
});

const REF = { runName: 'harvard_2024', processName: 'collect' };

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code, String(err));
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const test = suite('MemorySummaryStore');

test('an owner is stale once its heartbeat is older than staleAfterSeconds', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  const { lease } = await store.acquire(REF, { owner: { host: 'a', pid: 1 } });
  clock.advance(30);
  assert.is((await store.ownerStatus(REF, { staleAfterSeconds: 30 })).state, 'alive');
  clock.advance(1);
  const status = await store.ownerStatus(REF, { staleAfterSeconds: 30 });
  assert.is(status.state, 'dead');
  assert.is(status.gone, 'stale');
  assert.is((await store.ownerStatus(REF)).state, 'alive', 'the default threshold is 300 s');
  await store.renew(lease);
  assert.is((await store.ownerStatus(REF, { staleAfterSeconds: 30 })).state, 'alive');
  const taken = await store
    .acquire(REF, {
      owner: { host: 'b', pid: 2 },
      staleAfterSeconds: 30,
    })
    .catch((err: { code: string }) => err.code);
  assert.is(taken, 'E_CONCURRENT_RUN', 'a renewed owner is alive again');
});

test('the constructor threshold applies to unowned writes and readers', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock, staleAfterSeconds: 10 });
  await store.acquire(REF, { owner: { host: 'a', pid: 1 } });
  const summary = new ProcessSummary({ ...REF, clock });
  await rejects(store.save(summary), 'E_CONCURRENT_RUN');
  clock.advance(11);
  assert.is((await store.ownerStatus(REF)).state, 'dead');
  await store.save(summary);
  assert.is((await store.read(REF))?.writtenAt, T0 + 11, 'writtenAt comes from the clock');
});

test('without an owner identity, acquire names the memory owner', async () => {
  const store = new MemorySummaryStore({ clock: createManualClock(T0) });
  const { lease } = await store.acquire(REF);
  assert.is(lease.owner.host, 'memory');
  assert.is(lease.owner.pid, 0);
  assert.is(lease.since, T0);
});

test('archive keeps the summary text it set aside', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  const summary = new ProcessSummary({ ...REF, clock });
  summary.incrementItems({ processed: 7 });
  await store.save(summary);
  const key = await store.archive(REF);
  const archived = store.archived();
  assert.is(archived.length, 1);
  assert.is(archived[0]?.[0], key);
  assert.is(JSON.parse(archived[0]?.[1] ?? '{}').items_processed, 7);
});

test('bad options and cursors are refused with E_INVALID_ARGUMENT', async () => {
  const store = new MemorySummaryStore();
  await rejects(store.acquire(REF, { staleAfterSeconds: 0 }), 'E_INVALID_ARGUMENT');
  await rejects(store.acquire(REF, { owner: { host: '', pid: 1 } }), 'E_INVALID_ARGUMENT');
  await rejects(store.acquire(REF, { owner: { host: 'a', pid: -1 } }), 'E_INVALID_ARGUMENT');
  await rejects(store.ownerStatus(REF, { staleAfterSeconds: Number.NaN }), 'E_INVALID_ARGUMENT');
  const events = store.events(REF, { after: 'not-a-cursor' })[Symbol.asyncIterator]();
  await rejects(events.next(), 'E_INVALID_ARGUMENT');
  await rejects(store.save({} as ProcessSummary), 'E_INVALID_ARGUMENT');
  assert.is((await store.ownerStatus(REF)).state, 'none', 'nothing was acquired');
  assert.throws(() => new MemorySummaryStore({ staleAfterSeconds: -1 }));
});

test.run();
