import {
  createManualClock,
  LISTING_FIELDS,
  type ListedListing,
  type ListedSummary,
  type ListingPage,
  type ListProblem,
  listingOf,
  MemorySummaryStore,
  type OwnerStatus,
  ProcessSummary,
  type ReadResult,
  type SummaryStore,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listRows, summaryRow } from '../src/rows.js';
import { judgeStatus, needsOwnerStatus } from '../src/status.js';
import { counting, ownerStatus, readOf, seedFixture, T0, without } from './_helpers.js';

const OTHER = { host: 'host-b', pid: 77 };

/** Summaries of every shape a row shows: running (live, silent, crashed), done, failed, workers. */
async function variedStore() {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  const make = (processName: string, worker?: string) => {
    const summary = new ProcessSummary({
      runName: 'r1',
      processName,
      clock,
      ...(worker === undefined ? {} : { worker }),
    });
    summary.startProcess();
    return summary;
  };
  const live = make('live');
  live.setItemsTotal(500);
  const liveLease = (await store.acquire({ runName: 'r1', processName: 'live' })).lease;
  const gone = make('gone');
  const goneLease = (await store.acquire({ runName: 'r1', processName: 'gone' }, { owner: OTHER }))
    .lease;
  const silent = make('silent');
  clock.advance(20);
  for (const s of [live, gone, silent])
    s.incrementItems({ processed: 40, successful: 39, failed: 1 });
  live.addError('Net\u0000Error', 'a\u0000b');
  live.setCustomMetric('big', { rows: [1, 2, 3] });
  await store.save(live, liveLease);
  await store.save(gone, goneLease);
  await store.save(silent);
  const done = make('done');
  done.incrementItems({ processed: 10, successful: 7, failed: 3, retried: 2, bytes: 4096 });
  done.addError('Timeout', 'slow');
  done.endProcess();
  await store.save(done);
  const failed = make('failed');
  failed.endProcess({ outcome: 'failed' });
  await store.save(failed);
  for (const worker of ['w1', 'w2']) {
    const w = make('sharded', worker);
    w.setItemsTotal(100);
    w.incrementItems({ processed: 10, successful: 10 });
    await store.save(w);
  }
  await store.save(ProcessSummary.fromDict(seedFixture('collect')));
  clock.advance(400);
  live.checkpoint();
  await store.renew(liveLease);
  await store.save(live, liveLease);
  return { store, clock };
}

/** The rows of {@link variedStore}'s summaries, by process, and their statuses. */
const VARIED_STATUSES = [
  ['collect', 'completed_with_failures'],
  ['done', 'completed_with_failures'],
  ['failed', 'failed'],
  ['gone', 'crashed'],
  ['live', 'running'],
  ['sharded', 'stale'],
  ['silent', 'stale'],
];

/** `inner` without `readListing` and `scanListings`: a store that reads whole summaries. */
function withoutReadListing(inner: SummaryStore): SummaryStore {
  return without(inner, ['readListing', 'scanListings']);
}

test('a light listing of a store with readListing fetches projections only, and gives the same rows', async () => {
  const { store: varied, clock } = await variedStore();
  const inner = without(varied, ['scanListings']);
  const { store, calls } = counting(inner);
  for (const mergeWorkers of [true, false]) {
    calls.clear();
    const result = await listRows(store, { now: clock.now(), mergeWorkers });
    assert.is(calls.get('readListing')?.length, 1);
    assert.is(calls.get('read'), undefined, 'no whole summary is read');
    assert.equal(
      result,
      await listRows(withoutReadListing(inner), { now: clock.now(), mergeWorkers }),
    );
  }
  const { rows } = await listRows(store, { now: clock.now() });
  assert.equal(
    rows.map((r) => [r.process_name, r.status]),
    VARIED_STATUSES,
  );
  assert.is(rows[0]?.time_base, 'relative', 'the seed-format summary keeps its relative times');
  assert.equal(rows.find((r) => r.process_name === 'live')?.error_types, { 'Net\u0000Error': 1 });
});

test('a light listing of a store with scanListings takes its pages only, and gives the same rows', async () => {
  const { store: inner, clock } = await variedStore();
  const { store, calls } = counting(inner);
  const now = clock.now();
  for (const options of [
    { now, mergeWorkers: true },
    { now, mergeWorkers: false },
    { now, runName: 'r1', processName: 'sharded' },
    { now, runName: 'r9' },
  ]) {
    calls.clear();
    const result = await listRows(store, options);
    assert.equal(
      [...calls.keys()].filter((method) => method !== 'ownerStatus'),
      ['scanListings'],
      'one scan: no list, no read',
    );
    assert.equal((calls.get('scanListings') as unknown[][])[0], [
      options.runName === undefined ? {} : { runName: options.runName },
    ]);
    assert.equal(result, await listRows(without(inner, ['scanListings']), options));
  }
  calls.clear();
  const { rows } = await listRows(store, { now });
  assert.equal(
    (calls.get('ownerStatus') ?? [])
      .map((args) => (args[0] as { processName: string }).processName)
      .sort(),
    ['gone', 'live', 'sharded', 'sharded', 'silent'],
    'owner status for the running summaries only',
  );
  assert.equal(
    rows.map((r) => [r.process_name, r.status]),
    VARIED_STATUSES,
  );
});

test('a scan whose pages come in any order, with history-only runs and problems, gives sorted rows', async () => {
  const { store: inner, clock } = await variedStore();
  const { summaries } = await inner.list();
  const reads = await inner.readListing(summaries);
  const listed: ListedListing[] = summaries.map((summary, i) => ({
    summary,
    read: reads[i] ?? null,
  }));
  const historyOnly: ListedSummary = {
    runName: 'r0',
    processName: 'lost',
    worker: null,
    location: 'mem:r0/lost',
    writtenAt: null,
    hasSummary: false,
  };
  const problem: ListProblem = { location: 'mem:r5', code: 'E_UNREADABLE', message: 'no access' };
  // Three pages, the last first, each reversed: the store promises no order.
  const pages: ListingPage[] = [
    { listed: listed.slice(6).reverse(), problems: [] },
    {
      listed: [...listed.slice(3, 6).reverse(), { summary: historyOnly, read: null }],
      problems: [problem],
    },
    { listed: listed.slice(0, 3).reverse(), problems: [] },
  ];
  const scanning = new Proxy(inner, {
    get(target, key) {
      if (key === 'scanListings') {
        return async function* () {
          yield* pages;
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SummaryStore;
  const result = await listRows(scanning, { now: clock.now(), mergeWorkers: false });
  const expected = await listRows(without(inner, ['scanListings']), {
    now: clock.now(),
    mergeWorkers: false,
  });
  assert.equal(result.rows, expected.rows, 'the rows in the listing order');
  assert.equal(result.problems, [problem]);
  assert.equal(
    result.unusable.map((u) => [u.run_name, u.process_name, u.status]),
    [['r0', 'lost', 'needs_repair']],
  );
});

test('a full listing reads whole summaries, never projections', async () => {
  const { store: inner, clock } = await variedStore();
  const { store, calls } = counting(inner);
  await listRows(store, { now: clock.now(), full: true });
  assert.is(calls.get('readListing'), undefined);
  assert.is(calls.get('scanListings'), undefined, 'nor a scan of projections');
  assert.is(calls.get('read')?.length, 8);
  for (const args of calls.get('read') ?? []) assert.equal(args[1], { full: true });
});

/** `dict` behind a proxy that records every key read of it. */
function recording(dict: Record<string, unknown>) {
  const keys = new Set<string>();
  const proxy = new Proxy(dict, {
    get(target, key, receiver) {
      if (typeof key === 'string') keys.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') keys.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      keys.add('*');
      return Reflect.ownKeys(target);
    },
  });
  return { proxy, keys };
}

test('a row and its status read no field of a summary outside LISTING_FIELDS', async () => {
  const { store, clock } = await variedStore();
  const listing = await store.list();
  const owners: (OwnerStatus | null)[] = [
    null,
    ownerStatus('none'),
    ownerStatus('alive'),
    ownerStatus('dead'),
    ownerStatus('unknown'),
  ];
  const read = new Set<string>();
  for (const listed of listing.summaries) {
    const whole = (await store.read(listed)) as ReadResult;
    const dict = whole.dict as unknown as Record<string, unknown>;
    for (const owner of owners) {
      for (const now of [clock.now(), clock.now() + 10_000]) {
        const { proxy, keys } = recording(dict);
        const viaProxy = { ...whole, dict: proxy as unknown as ReadResult['dict'] };
        needsOwnerStatus(viaProxy);
        const row = summaryRow(viaProxy, judgeStatus(viaProxy, owner, { now }));
        for (const key of keys) read.add(key);
        const cut = readOf(listingOf(dict) as Record<string, unknown>, {
          ...whole,
          dict: listingOf(dict) as ReadResult['dict'],
        });
        assert.equal(summaryRow(cut, judgeStatus(cut, owner, { now })), row);
      }
    }
  }
  assert.equal(
    [...read].filter((key) => !(LISTING_FIELDS as readonly string[]).includes(key)),
    [],
  );
});

test.run();
