import {
  createManualClock,
  type Listing,
  MemorySummaryStore,
  ProcessSummary,
  type ReadOptions,
  type ReadResult,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listRows, READ_MANY_CHUNK, readRow, summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';
import { counting, dictOf, readOf, seedFixture, T0, without } from './_helpers.js';

const OTHER = { host: 'host-b', pid: 77 };

/** A store with: a completed run, a running one whose owner renews, one whose owner went silent. */
async function fixture() {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  const make = (runName: string, processName: string, worker?: string) => {
    const summary = new ProcessSummary({
      runName,
      processName,
      clock,
      ...(worker === undefined ? {} : { worker }),
    });
    summary.startProcess();
    return summary;
  };
  const done = make('r1', 'collect');
  done.incrementItems({ processed: 10, successful: 10 });
  done.endProcess();
  await store.save(done);

  const live = make('r2', 'collect');
  live.setItemsTotal(1000);
  const liveLease = (await store.acquire({ runName: 'r2', processName: 'collect' })).lease;
  const dead = make('r2', 'sync');
  dead.setItemsTotal(1000);
  const deadLease = (await store.acquire({ runName: 'r2', processName: 'sync' }, { owner: OTHER }))
    .lease;
  clock.advance(10);
  live.incrementItems({ processed: 100, successful: 100 });
  dead.incrementItems({ processed: 100, successful: 100 });
  await store.save(live, liveLease);
  await store.save(dead, deadLease);
  // The sync owner stops; the collect owner keeps renewing.
  clock.advance(400);
  live.checkpoint();
  await store.renew(liveLease);
  await store.save(live, liveLease);
  return { store, clock };
}

test('a run whose owner went silent is crashed with no current rate and no ETA', async () => {
  const { store, clock } = await fixture();
  const { rows } = await listRows(store, { now: clock.now() });
  const sync = rows.find((r) => r.run_name === 'r2' && r.process_name === 'sync');
  assert.ok(sync);
  assert.is(sync.status, 'crashed');
  assert.match(sync.status_reason ?? '', 'pid 77 on host-b');
  assert.is(sync.current_rate_per_second, null);
  assert.is(sync.eta_seconds, null);
  assert.is(sync.rate_per_second, sync.processing_rate_per_second);
  assert.equal(sync.owner, { pid: 77, host: 'host-b' });
});

test('a run whose owner renews is running with its current rate and ETA', async () => {
  const { store, clock } = await fixture();
  const { rows } = await listRows(store, { now: clock.now() });
  const collect = rows.find((r) => r.run_name === 'r2' && r.process_name === 'collect');
  assert.ok(collect);
  assert.is(collect.status, 'running');
  assert.ok((collect.current_rate_per_second ?? 0) > 0);
  assert.ok((collect.eta_seconds ?? 0) > 0);
  assert.is(collect.rate_per_second, collect.current_rate_per_second);
});

test('rows are sorted and a completed run keeps its counters', async () => {
  const { store, clock } = await fixture();
  const { rows, unusable, problems } = await listRows(store, { now: clock.now() });
  assert.equal(
    rows.map((r) => `${r.run_name}/${r.process_name}`),
    ['r1/collect', 'r2/collect', 'r2/sync'],
  );
  assert.is(rows[0]?.status, 'completed');
  assert.is(rows[0]?.items_successful, 10);
  assert.is(rows[0]?.current_rate_per_second, null);
  assert.equal(unusable, []);
  assert.equal(problems, []);
});

test('a listing costs one list, one light read per summary, ownerStatus only for running ones', async () => {
  const { store: inner, clock } = await fixture();
  // A store that reads one summary at a time (the memory store also has readListing).
  const { store, calls } = counting(withoutReadListing(inner));
  await listRows(store, { now: clock.now() });
  assert.is(calls.get('list')?.length, 1);
  assert.is(calls.get('read')?.length, 3);
  for (const args of calls.get('read') ?? []) assert.equal(args[1], { full: false });
  assert.equal(
    (calls.get('ownerStatus') ?? []).map(
      (args) => (args[0] as { processName: string }).processName,
    ),
    ['collect', 'sync'],
  );
});

test('filters by run and by process', async () => {
  const { store, clock } = await fixture();
  const byRun = await listRows(store, { now: clock.now(), runName: 'r1' });
  assert.equal(
    byRun.rows.map((r) => r.run_name),
    ['r1'],
  );
  const byProcess = await listRows(store, { now: clock.now(), processName: 'sync' });
  assert.equal(
    byProcess.rows.map((r) => `${r.run_name}/${r.process_name}`),
    ['r2/sync'],
  );
});

test('a run that has only a journal is listed as needs_repair without being read', async () => {
  const { store: inner, clock } = await fixture();
  const journalOnly = new Proxy(inner, {
    get(target, key) {
      if (key === 'scanListings') return undefined;
      if (key !== 'list') {
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (): Promise<Listing> => {
        const listing = await target.list();
        listing.summaries.push({
          runName: 'r3',
          processName: 'collect',
          worker: null,
          location: 'mem:r3/collect',
          writtenAt: null,
          hasSummary: false,
        });
        return listing;
      };
    },
  }) as SummaryStore;
  const { store, calls } = counting(journalOnly);
  const { rows, unusable } = await listRows(store, { now: clock.now() });
  assert.is(rows.length, 3);
  assert.is(unusable.length, 1);
  assert.is(unusable[0]?.status, 'needs_repair');
  assert.is(unusable[0]?.code, 'E_NOT_FOUND');
  assert.match(unusable[0]?.message ?? '', 'run repair');
  assert.ok(
    !(calls.get('read') ?? []).some((args) => (args[0] as { runName: string }).runName === 'r3'),
  );
});

test('a process with workers is one merged row, or one row per worker on request', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  for (const worker of ['w1', 'w2', 'w3']) {
    const s = new ProcessSummary({ runName: 'r', processName: 'collect', worker, clock });
    s.startProcess();
    s.incrementItems({ processed: 5, successful: 5 });
    s.endProcess();
    await store.save(s);
  }
  const merged = await listRows(store, { now: clock.now() });
  assert.is(merged.rows.length, 1);
  assert.is(merged.rows[0]?.worker_count, 3);
  assert.is(merged.rows[0]?.items_processed, 15);
  assert.equal(
    merged.rows[0]?.workers.map((w) => w.worker),
    ['w1', 'w2', 'w3'],
  );
  const flat = await listRows(store, { now: clock.now(), mergeWorkers: false });
  assert.equal(
    flat.rows.map((r) => r.worker),
    ['w1', 'w2', 'w3'],
  );
});

test('readRow reads in full and reports a missing summary as unusable, not a throw', async () => {
  const { store: inner, clock } = await fixture();
  const { store, calls } = counting(inner);
  const found = await readRow(
    store,
    { runName: 'r1', processName: 'collect' },
    { now: clock.now() },
  );
  assert.is(found.row?.status, 'completed');
  assert.equal(calls.get('read')?.[0]?.[1], { full: true });
  const missing = await readRow(
    store,
    { runName: 'nope', processName: 'collect' },
    { now: clock.now() },
  );
  assert.is(missing.row, null);
  assert.is(missing.unusable?.status, 'missing');
});

test('a seed-format row has a relative time base and its counters as stored', () => {
  const dict = seedFixture('collect');
  const read = readOf(dict);
  const row = summaryRow(read, judgeStatus(read, null, { now: T0 }));
  assert.is(row.time_base, 'relative');
  assert.is(row.seed_format, true);
  assert.is(row.items_failed, 4);
  assert.is(row.error_rate_percent, 0.4);
  assert.is(row.status, 'completed_with_failures');
});

test('a summary with an error type named __proto__ keeps it as an ordinary key', () => {
  const s = new ProcessSummary({ runName: 'r', processName: 'p', clock: createManualClock(T0) });
  s.startProcess();
  // As a hostile or foreign file holds it (JSON.parse makes it an own key).
  const dict = { ...dictOf(s), error_count: 1, error_types: JSON.parse('{"__proto__": 1}') };
  const read = readOf(dict);
  const row = summaryRow(read, judgeStatus(read, null, { now: T0 }));
  assert.equal(Object.keys(row.error_types), ['__proto__']);
  assert.is(Object.getPrototypeOf(row.error_types), Object.prototype);
});

test('a bad concurrency is refused with a coded error before the store is touched', async () => {
  const { store: inner } = await fixture();
  const { store, calls } = counting(inner);
  try {
    await listRows(store, { now: T0, concurrency: 0 });
    assert.unreachable('expected E_INVALID_ARGUMENT');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  }
  assert.is(calls.size, 0);
});

/** `inner` without the optional `readListing` and `scanListings` capabilities. */
function withoutReadListing(inner: SummaryStore): SummaryStore {
  return without(inner, ['readListing', 'scanListings']);
}

/**
 * `inner` with the optional `readMany` capability (a `read` per ref underneath) and without
 * `readListing` and `scanListings` (which a light listing would use instead), recording
 * the refs and options of each call. Its reads are not seen by a {@link counting} wrapper
 * around it, so that one counts only the reads a consumer makes itself.
 */
function withReadMany(
  inner: SummaryStore,
  answer: (refs: readonly SummaryRef[], reads: (ReadResult | null)[]) => (ReadResult | null)[] = (
    _,
    reads,
  ) => reads,
) {
  const batches: { refs: SummaryRef[]; options: ReadOptions | undefined }[] = [];
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === 'readListing' || key === 'scanListings') return undefined;
      if (key === 'readMany') {
        return async (refs: readonly SummaryRef[], options?: ReadOptions) => {
          batches.push({ refs: [...refs], options });
          return answer(refs, await Promise.all(refs.map((ref) => target.read(ref, options))));
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SummaryStore;
  return { store, batches };
}

/** A memory store of `count` ended summaries, 100 per run, each with its own counters. */
async function endedSummaries(count: number) {
  const clock = createManualClock(T0);
  const inner = new MemorySummaryStore({ clock });
  for (let i = 0; i < count; i++) {
    const s = new ProcessSummary({
      runName: `run_${String(Math.floor(i / 100)).padStart(2, '0')}`,
      processName: `p_${String(i % 100).padStart(2, '0')}`,
      clock,
    });
    s.startProcess();
    s.incrementItems({ processed: i, successful: i });
    s.endProcess();
    await inner.save(s);
  }
  return { clock, inner };
}

test('a store with readMany is read in chunks of 1,000 refs in listing order, never per ref', async () => {
  const count = READ_MANY_CHUNK * 2 + 500;
  const { clock, inner } = await endedSummaries(count);
  const { store: many, batches } = withReadMany(inner);
  const { store, calls } = counting(many);
  const result = await listRows(store, { now: clock.now() });
  assert.equal(
    batches.map((b) => b.refs.length),
    [READ_MANY_CHUNK, READ_MANY_CHUNK, 500],
  );
  for (const batch of batches) assert.equal(batch.options, { full: false });
  assert.is(calls.get('read'), undefined);
  const listed = (await inner.list()).summaries.map((s) => `${s.runName}/${s.processName}`);
  assert.equal(
    batches.flatMap((b) => b.refs.map((r) => `${r.runName}/${r.processName}`)),
    listed,
  );
  // The same rows as one read per summary gives.
  assert.equal(result, await listRows(inner, { now: clock.now() }));
  assert.is(result.rows.length, count);
});

test('with readMany: running summaries still get ownerStatus, history-only runs are not read', async () => {
  const { store: inner, clock } = await fixture();
  const journalOnly = new Proxy(inner, {
    get(target, key) {
      if (key === 'scanListings') return undefined;
      if (key !== 'list') {
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (): Promise<Listing> => {
        const listing = await target.list();
        listing.summaries.splice(1, 0, {
          runName: 'r1',
          processName: 'repair_me',
          worker: null,
          location: 'mem:r1/repair_me',
          writtenAt: null,
          hasSummary: false,
        });
        return listing;
      };
    },
  }) as SummaryStore;
  const { store: many, batches } = withReadMany(journalOnly);
  const { store, calls } = counting(many);
  const viaMany = await listRows(store, { now: clock.now() });
  assert.equal(
    batches.flatMap((b) => b.refs.map((r) => r.processName)),
    ['collect', 'collect', 'sync'],
  );
  assert.equal(
    (calls.get('ownerStatus') ?? []).map(
      (args) => (args[0] as { processName: string }).processName,
    ),
    ['collect', 'sync'],
  );
  assert.equal(viaMany, await listRows(journalOnly, { now: clock.now() }));
  assert.equal(
    viaMany.unusable.map((u) => [u.process_name, u.status]),
    [['repair_me', 'needs_repair']],
  );
});

test('a readMany that answers for fewer refs than asked is an error, not missing summaries', async () => {
  const { store: inner, clock } = await fixture();
  const { store } = withReadMany(inner, (_, reads) => reads.slice(1));
  try {
    await listRows(store, { now: clock.now() });
    assert.unreachable('expected E_IO');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_IO');
    assert.match((err as Error).message, 'returned 2 results for 3 summaries');
  }
});

test('a store with readMany is asked for at most two chunks beyond the one whose rows are made', async () => {
  const count = READ_MANY_CHUNK * 4 + 1;
  const { clock, inner } = await endedSummaries(count);
  // Each readMany answers only when the test lets it: what was asked meanwhile is visible.
  const gates: (() => void)[] = [];
  const { store } = withReadMany(inner);
  const gated = new Proxy(store, {
    get(target, key) {
      if (key !== 'readMany') return Reflect.get(target, key, target);
      return async (refs: readonly SummaryRef[], options?: ReadOptions) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return (target.readMany as NonNullable<SummaryStore['readMany']>)(refs, options);
      };
    },
  }) as SummaryStore;
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const listing = listRows(gated, { now: clock.now() });
  await settle();
  assert.is(gates.length, 3, 'the first chunk and two ahead');
  (gates[0] as () => void)();
  await settle();
  assert.is(gates.length, 4, 'one more asked once the first chunk is in');
  for (let i = 1; i < 5; i++) {
    (gates[i] as () => void)();
    await settle();
  }
  assert.is(gates.length, 5);
  const result = await listing;
  assert.is(result.rows.length, count);
  assert.equal(result, await listRows(inner, { now: clock.now() }));
});

test.run();
