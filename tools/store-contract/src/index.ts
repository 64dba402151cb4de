/**
 * The behaviour every `SummaryStore` promises, as uvu suites. Each implementation's tests call
 * `runStoreContract` with a factory returning a {@link ContractSubject}; the suites use the
 * contract only, so they run unchanged against the memory, file and PostgreSQL stores.
 */
import { readFileSync } from 'node:fs';
import {
  type Acquired,
  canKeepState,
  compareRefs,
  createManualClock,
  type JournalRecord,
  type JsonValue,
  type Lease,
  LISTING_FIELDS,
  type ListedListing,
  type ListProblem,
  type OwnerIdentity,
  ProcessSummary,
  type ReadOptions,
  type ReadResult,
  type StateKeepingStore,
  type SummaryRef,
  type SummaryStore,
  sameRef,
} from '@process-summary/core';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';

/** A fresh, empty store and the hooks only its implementation can provide. */
export interface ContractSubject {
  store: SummaryStore;
  /**
   * Makes the owner holding `lease` gone, as this store judges liveness: afterwards
   * `ownerStatus` says `dead` and `acquire` takes it over. The memory store moves its clock past
   * the stale threshold; the file store rewrites the owner record with a dead pid.
   */
  makeOwnerGone(lease: Lease): Promise<void>;
  /**
   * Optional: damages the stored summary of `ref` (saved before) so that it no longer reads as a
   * summary. Stores that can hold a damaged summary provide it.
   */
  corrupt?(ref: SummaryRef): Promise<void>;
  cleanup(): Promise<void>;
}

/** Owners on hosts that are not this one: every store judges them by their heartbeat. */
export const OWNER_A: OwnerIdentity = { host: 'contract-host-a', pid: 101 };
export const OWNER_B: OwnerIdentity = { host: 'contract-host-b', pid: 202 };
export const OWNER_C: OwnerIdentity = { host: 'contract-host-c', pid: 303 };

const REF: SummaryRef = { runName: 'harvard_2024', processName: 'collect' };
const BAD_NAMES = ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000b'];

type Ctx = { subject: ContractSubject };

/** Registers and runs the contract suites against the store `create` makes. */
export function runStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  for (const [title, define] of SUITES) {
    const test = suite<Ctx>(`SummaryStore contract (${name}): ${title}`);
    test.before.each(async (ctx) => {
      ctx.subject = await create();
    });
    test.after.each(async (ctx) => {
      await ctx.subject.cleanup();
    });
    define(test);
    test.run();
  }
}

const SUITES: [title: string, define: (test: Test<Ctx>) => void][] = [
  ['persistence', persistence],
  ['ownership', ownership],
  ['fencing', fencing],
  ['reading', reading],
  ['listing projection', listingProjection],
  ['scanning listings', scanningListings],
  ['journal and watch', journalAndWatch],
  ['workers', workers],
  ['bad input', badInput],
  ['consumer state', consumerState],
];

// ---------------------------------------------------------------- helpers

function makeSummary(ref: SummaryRef = REF) {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({
    runName: ref.runName,
    processName: ref.processName,
    worker: ref.worker ?? null,
    clock,
  });
  summary.startProcess({ host: 'test-host', pid: 4242 });
  return { summary, clock };
}

/** Expects `action` to fail (throw or reject) with `code`; returns the error. */
async function failsWith(action: () => unknown, code: string): Promise<Error> {
  try {
    await action();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code, `expected ${code}, got: ${String(err)}`);
    return err as Error;
  }
  assert.unreachable(`expected a failure with ${code}`);
  throw new Error('unreachable');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** What a reader sees of `ref`: the stored state, the journal and the owner. */
async function observe(store: SummaryStore, ref: SummaryRef) {
  const read = await store.read(ref);
  const events = await collect(store.events(ref));
  const owner = await store.ownerStatus(ref);
  return {
    dict: read?.dict ?? null,
    epoch: read?.epoch ?? null,
    events: events.map((r) => [r.cursor, r.event]),
    owner: [owner.state, owner.owner?.epoch ?? null],
  };
}

function eventLabels(records: JournalRecord[]): string[] {
  return records.map((r) =>
    r.event === null ? 'problem' : r.event.type === 'progress' ? r.event.message : r.event.type,
  );
}

function dictOf(read: ReadResult | null): Record<string, unknown> {
  assert.ok(read, 'read found nothing');
  assert.ok(read.dict, `read found no usable summary: ${read.problem?.message}`);
  return read.dict as unknown as Record<string, unknown>;
}

// ---------------------------------------------------------------- suites

function persistence(test: Test<Ctx>): void {
  test('load of a summary never saved resolves null', async ({ subject }) => {
    assert.is(await subject.store.load(REF), null);
  });

  test('save then load returns the same summary dictionary', async ({ subject }) => {
    const { summary, clock } = makeSummary();
    summary.incrementItems({ processed: 10, successful: 9, failed: 1, retried: 2, bytes: 4096 });
    summary.addError('NetworkError', 'Connection timeout');
    summary.addProgressUpdate('Processing batch 1', { batch_size: 10 });
    summary.setCustomMetric('storage_type', 'minio');
    summary.setItemsTotal(100);
    clock.advance(5);
    const saved = summary.getSummaryDict();
    await subject.store.save(summary);
    const loaded = await subject.store.load(REF);
    assert.ok(loaded);
    assert.equal(loaded.warnings, []);
    assert.equal(loaded.summary.getSummaryDict(), saved);
  });

  test('load passes its options to the loaded summary', async ({ subject }) => {
    await subject.store.save(makeSummary().summary);
    const clock = createManualClock(1_800_000_000);
    const loaded = await subject.store.load(REF, {
      clock,
      interruptionThresholdSeconds: 60,
      limits: { maxSessions: 5 },
    });
    assert.is(loaded?.summary.interruptionThresholdSeconds, 60);
    assert.is(loaded?.summary.limits.maxSessions, 5);
    loaded?.summary.startProcess({ host: 'test-host', pid: 1 });
    assert.is(loaded?.summary.currentSession?.start_time, 1_800_000_000);
  });

  test('a later save replaces the earlier state', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 1 });
    await subject.store.save(summary);
    summary.incrementItems({ processed: 41 });
    summary.endProcess();
    await subject.store.save(summary);
    const loaded = await subject.store.load(REF);
    assert.is(loaded?.summary.itemsProcessed, 42);
    assert.is(loaded?.summary.status, 'completed');
  });

  test('concurrent saves each resolve and the last state wins', async ({ subject }) => {
    const { summary } = makeSummary();
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      summary.incrementItems({ processed: 1 });
      saves.push(subject.store.save(summary));
    }
    await Promise.all(saves);
    assert.is((await subject.store.load(REF))?.summary.itemsProcessed, 50);
  });

  test('summaries of different processes and runs are kept apart', async ({ subject }) => {
    const refs = [
      { runName: 'run_a', processName: 'collect' },
      { runName: 'run_a', processName: 'sync' },
      { runName: 'run_b', processName: 'collect' },
    ];
    await Promise.all(
      refs.map((ref, i) => {
        const { summary } = makeSummary(ref);
        summary.incrementItems({ processed: i + 1 });
        return subject.store.save(summary);
      }),
    );
    for (const [i, ref] of refs.entries()) {
      assert.is((await subject.store.load(ref))?.summary.itemsProcessed, i + 1);
    }
  });

  test('remove deletes a summary and its journal, and reports whether there was one', async ({
    subject,
  }) => {
    const { summary } = makeSummary();
    summary.addProgressUpdate('first');
    await subject.store.save(summary);
    assert.is(await subject.store.remove(REF), true);
    assert.is(await subject.store.load(REF), null);
    assert.is(await subject.store.read(REF), null);
    assert.equal(await collect(subject.store.events(REF)), []);
    assert.is(await subject.store.remove(REF), false);
  });

  test('archive sets a summary aside so the run starts fresh', async ({ subject }) => {
    const { store } = subject;
    assert.is(await store.archive(REF), null, 'nothing to archive');
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 7 });
    await store.save(summary);
    const archivedAs = await store.archive(REF);
    assert.type(archivedAs, 'string');
    assert.is(await store.load(REF), null);
    await store.save(makeSummary().summary);
    assert.is((await store.load(REF))?.summary.itemsProcessed, 0);
  });

  test('a loaded summary can be resumed and saved again', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 5, successful: 5 });
    await subject.store.save(summary);
    const loaded = await subject.store.load(REF);
    assert.ok(loaded);
    const resumed = loaded.summary;
    resumed.startProcess({ host: 'test-host', pid: 4343 });
    resumed.incrementItems({ processed: 3, successful: 3 });
    await subject.store.save(resumed);
    const again = await subject.store.load(REF);
    assert.is(again?.summary.itemsProcessed, 8);
    assert.is(again?.summary.sessionCount, 2);
  });

  test('saveSync, where declared, stores the state at once and is fenced like save', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.saveSync === undefined) return; // a capability, not every store has it
    const { lease } = await store.acquire(REF, { owner: OWNER_A });
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 3 });
    store.saveSync(summary, lease);
    const read = await store.read(REF);
    assert.is(dictOf(read).items_processed, 3);
    assert.is(read?.epoch, lease.epoch);
    await failsWith(() => store.saveSync?.(summary), 'E_CONCURRENT_RUN');
    await subject.makeOwnerGone(lease);
    await store.acquire(REF, { owner: OWNER_B });
    summary.incrementItems({ processed: 1 });
    await failsWith(() => store.saveSync?.(summary, lease), 'E_LEASE_LOST');
    assert.is(dictOf(await store.read(REF)).items_processed, 3);
  });
}

function ownership(test: Test<Ctx>): void {
  test('acquire gives a lease on the ref with an epoch and no previous owner', async ({
    subject,
  }) => {
    const { lease, previous } = await subject.store.acquire(REF, { owner: OWNER_A });
    assert.ok(sameRef(lease.ref, REF));
    assert.ok(Number.isSafeInteger(lease.epoch) && lease.epoch > 0, `epoch ${lease.epoch}`);
    assert.is(lease.owner.host, OWNER_A.host);
    assert.is(lease.owner.pid, OWNER_A.pid);
    assert.type(lease.since, 'number');
    assert.is(previous, null);
  });

  test('a second acquire while the owner lives is refused with E_CONCURRENT_RUN naming it', async ({
    subject,
  }) => {
    const { lease } = await subject.store.acquire(REF, { owner: OWNER_A });
    const err = await failsWith(
      () => subject.store.acquire(REF, { owner: OWNER_B }),
      'E_CONCURRENT_RUN',
    );
    assert.match(err.message, String(OWNER_A.pid));
    assert.match(err.message, OWNER_A.host);
    assert.match(err.message, new Date(lease.since * 1000).toISOString().slice(0, 10));
    const status = await subject.store.ownerStatus(REF);
    assert.is(status.owner?.epoch, lease.epoch, 'the owner is unchanged');
  });

  test('a gone owner is taken over with a higher epoch and reported as previous', async ({
    subject,
  }) => {
    const first = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.makeOwnerGone(first.lease);
    const second = await subject.store.acquire(REF, { owner: OWNER_B });
    assert.ok(second.lease.epoch > first.lease.epoch, 'epoch grows');
    assert.ok(second.previous, 'the previous owner is reported');
    assert.is(second.previous.owner?.pid, OWNER_A.pid);
    assert.is(second.previous.owner?.epoch, first.lease.epoch);
    assert.ok(['crash', 'reboot', 'stale', 'unreadable'].includes(second.previous.reason));
    assert.type(second.previous.detail, 'string');
    assert.is((await subject.store.ownerStatus(REF)).owner?.pid, OWNER_B.pid);
  });

  test('concurrent acquires, of a free ref or of a gone owner, have exactly one winner', async ({
    subject,
  }) => {
    const { store } = subject;
    const takers = [OWNER_A, OWNER_B, OWNER_C];
    const free = await Promise.allSettled(takers.map((owner) => store.acquire(REF, { owner })));
    const won = free.filter((r) => r.status === 'fulfilled');
    assert.is(won.length, 1, 'one winner for a free ref');
    for (const r of free) {
      if (r.status === 'rejected') assert.is(r.reason?.code, 'E_CONCURRENT_RUN');
    }
    const first = (won[0] as PromiseFulfilledResult<Acquired>).value;
    await subject.makeOwnerGone(first.lease);
    const takeover = await Promise.allSettled(takers.map((owner) => store.acquire(REF, { owner })));
    const taken = takeover.filter((r) => r.status === 'fulfilled');
    assert.is(taken.length, 1, 'one winner for a takeover');
    const winner = (taken[0] as PromiseFulfilledResult<Acquired>).value;
    assert.ok(winner.lease.epoch > first.lease.epoch);
    assert.is(winner.previous?.owner?.epoch, first.lease.epoch);
    assert.is((await store.ownerStatus(REF)).owner?.epoch, winner.lease.epoch);
  });

  test('acquire without an owner names the store default owner', async ({ subject }) => {
    const { lease } = await subject.store.acquire(REF);
    assert.type(lease.owner.host, 'string');
    assert.ok(Number.isSafeInteger(lease.owner.pid));
    assert.is((await subject.store.ownerStatus(REF)).state, 'alive');
    await subject.store.release(lease);
  });

  test('release then acquire gives a higher epoch and no previous owner', async ({ subject }) => {
    const first = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.store.release(first.lease);
    await subject.store.release(first.lease); // idempotent
    const second = await subject.store.acquire(REF, { owner: OWNER_B });
    assert.ok(second.lease.epoch > first.lease.epoch);
    assert.is(second.previous, null);
  });

  test('epochs are never reused, even after the summary is removed', async ({ subject }) => {
    const { store } = subject;
    const epochs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { lease } = await store.acquire(REF, { owner: OWNER_A });
      epochs.push(lease.epoch);
      await store.save(makeSummary().summary, lease);
      await store.remove(REF, lease);
      await store.release(lease);
    }
    const [first = 0, second = 0, third = 0] = epochs;
    assert.ok(first < second && second < third, `epochs ${epochs.join(', ')}`);
  });

  test('releasing an old lease leaves the new owner alone', async ({ subject }) => {
    const first = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.makeOwnerGone(first.lease);
    const second = await subject.store.acquire(REF, { owner: OWNER_B });
    await subject.store.release(first.lease);
    const status = await subject.store.ownerStatus(REF);
    assert.is(status.state, 'alive');
    assert.is(status.owner?.epoch, second.lease.epoch);
  });

  test('renew keeps a current lease and refuses one taken over with E_LEASE_LOST', async ({
    subject,
  }) => {
    const first = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.store.renew(first.lease);
    assert.is((await subject.store.ownerStatus(REF)).state, 'alive');
    await subject.makeOwnerGone(first.lease);
    await subject.store.acquire(REF, { owner: OWNER_B });
    await failsWith(() => subject.store.renew(first.lease), 'E_LEASE_LOST');
  });

  test('ownerStatus: none, alive, dead once the owner is gone, none after release', async ({
    subject,
  }) => {
    const { store } = subject;
    const none = await store.ownerStatus(REF);
    assert.is(none.state, 'none');
    assert.is(none.owner, null);
    const { lease } = await store.acquire(REF, { owner: OWNER_A });
    const alive = await store.ownerStatus(REF);
    assert.is(alive.state, 'alive');
    assert.is(alive.owner?.pid, OWNER_A.pid);
    assert.is(alive.owner?.host, OWNER_A.host);
    assert.is(alive.owner?.epoch, lease.epoch);
    assert.is(alive.gone, null);
    await subject.makeOwnerGone(lease);
    const dead = await store.ownerStatus(REF);
    assert.is(dead.state, 'dead');
    assert.ok(dead.gone, 'says how the owner went');
    assert.is(dead.owner?.epoch, lease.epoch);
    assert.type(dead.reason, 'string');
    const { lease: next } = await store.acquire(REF, { owner: OWNER_B });
    await store.release(next);
    assert.is((await store.ownerStatus(REF)).state, 'none');
  });
}

function fencing(test: Test<Ctx>): void {
  test('saves with a lease stamp its epoch into the written summary', async ({ subject }) => {
    const { lease } = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.store.save(makeSummary().summary, lease);
    const read = await subject.store.read(REF);
    assert.is(dictOf(read).owner_epoch, lease.epoch);
    assert.is(read?.epoch, lease.epoch);
  });

  test('after a takeover the old lease can neither save, archive, remove nor renew', async ({
    subject,
  }) => {
    const { store } = subject;
    const old = await store.acquire(REF, { owner: OWNER_A });
    const oldSummary = makeSummary().summary;
    oldSummary.incrementItems({ processed: 1 });
    await store.save(oldSummary, old.lease);
    await subject.makeOwnerGone(old.lease);
    const next = await store.acquire(REF, { owner: OWNER_B });
    const nextSummary = (await store.load(REF))?.summary;
    assert.ok(nextSummary);
    nextSummary.startProcess({ host: OWNER_B.host, pid: OWNER_B.pid });
    nextSummary.incrementItems({ processed: 10 });
    await store.save(nextSummary, next.lease);
    const before = await observe(store, REF);

    oldSummary.incrementItems({ processed: 1000 });
    oldSummary.addProgressUpdate('late write of the old owner');
    await failsWith(() => store.save(oldSummary, old.lease), 'E_LEASE_LOST');
    await failsWith(() => store.archive(REF, old.lease), 'E_LEASE_LOST');
    await failsWith(() => store.remove(REF, old.lease), 'E_LEASE_LOST');
    await failsWith(() => store.renew(old.lease), 'E_LEASE_LOST');

    assert.equal(await observe(store, REF), before, 'nothing changed');
    assert.is(dictOf(await store.read(REF)).items_processed, 11);
    assert.is((await store.read(REF))?.epoch, next.lease.epoch);
  });

  test('a released lease can no longer write', async ({ subject }) => {
    const { lease } = await subject.store.acquire(REF, { owner: OWNER_A });
    await subject.store.save(makeSummary().summary, lease);
    await subject.store.release(lease);
    await failsWith(() => subject.store.save(makeSummary().summary, lease), 'E_LEASE_LOST');
    await failsWith(() => subject.store.remove(REF, lease), 'E_LEASE_LOST');
    assert.ok(await subject.store.read(REF), 'the summary is still there');
  });

  test('unowned save, archive and remove are refused while a live owner holds the ref', async ({
    subject,
  }) => {
    const { store } = subject;
    const { lease } = await store.acquire(REF, { owner: OWNER_A });
    const owned = makeSummary().summary;
    owned.incrementItems({ processed: 5 });
    await store.save(owned, lease);
    const before = await observe(store, REF);
    const intruder = makeSummary().summary;
    intruder.incrementItems({ processed: 99 });
    await failsWith(() => store.save(intruder), 'E_CONCURRENT_RUN');
    await failsWith(() => store.remove(REF), 'E_CONCURRENT_RUN');
    await failsWith(() => store.archive(REF), 'E_CONCURRENT_RUN');
    assert.equal(await observe(store, REF), before, 'nothing changed');
  });

  test('unowned writes go ahead once the owner is gone', async ({ subject }) => {
    const { store } = subject;
    const { lease } = await store.acquire(REF, { owner: OWNER_A });
    await store.save(makeSummary().summary, lease);
    await subject.makeOwnerGone(lease);
    assert.is(await store.remove(REF), true);
    assert.is(await store.read(REF), null);
  });

  test('a lease of one ref is refused for another with E_INVALID_ARGUMENT', async ({ subject }) => {
    const { lease } = await subject.store.acquire(REF, { owner: OWNER_A });
    const other = { runName: REF.runName, processName: 'sync' };
    await failsWith(
      () => subject.store.save(makeSummary(other).summary, lease),
      'E_INVALID_ARGUMENT',
    );
    await failsWith(() => subject.store.remove(other, lease), 'E_INVALID_ARGUMENT');
    assert.is(await subject.store.read(other), null);
  });
}

function reading(test: Test<Ctx>): void {
  test('read of a summary never saved resolves null', async ({ subject }) => {
    assert.is(await subject.store.read(REF), null);
  });

  test('read returns the dict, when it was written and its epoch, and changes nothing', async ({
    subject,
  }) => {
    const { store } = subject;
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 4, successful: 4 });
    summary.addProgressUpdate('batch');
    const saved = summary.getSummaryDict();
    await store.save(summary);
    const before = await observe(store, REF);
    const listing = await store.list();
    const read = await store.read(REF);
    assert.ok(read);
    assert.ok(sameRef(read.ref, REF));
    assert.type(read.location, 'string');
    assert.equal(dictOf(read), saved);
    assert.is(read.problem, null);
    assert.is(read.seedFormat, false);
    assert.type(read.writtenAt, 'number');
    assert.is(read.epoch, null, 'an unowned write carries no epoch');
    assert.is(read.hasHistory, true, 'the journal is history');
    assert.equal(await store.read(REF), read, 'a second read sees the same');
    assert.equal(await observe(store, REF), before);
    assert.equal(await store.list(), listing);
  });

  test('read reports a damaged summary and never repairs it', async ({ subject }) => {
    if (subject.corrupt === undefined) return; // the store cannot hold a damaged summary
    const { store } = subject;
    await store.save(makeSummary().summary);
    await subject.corrupt(REF);
    const first = await store.read(REF);
    assert.ok(first);
    assert.is(first.dict, null);
    assert.ok(first.problem, 'the problem is reported');
    assert.match(first.problem.message, first.location);
    const again = await store.read(REF);
    assert.equal(again, first, 'still damaged: the read repaired nothing');
  });

  test('list returns a Listing of every summary, sorted, with hasSummary', async ({ subject }) => {
    const { store } = subject;
    assert.equal(await store.list(), { summaries: [], problems: [] });
    const refs: SummaryRef[] = [
      { runName: 'run_b', processName: 'collect' },
      { runName: 'run_a', processName: 'sync', worker: 'w2' },
      { runName: 'run_a', processName: 'sync' },
      { runName: 'run_a', processName: 'collect' },
      { runName: 'run_a', processName: 'sync', worker: 'w1' },
    ];
    for (const ref of refs) await store.save(makeSummary(ref).summary);
    const listing = await store.list();
    assert.equal(listing.problems, []);
    assert.equal(
      listing.summaries.map((s) => [s.runName, s.processName, s.worker ?? null, s.hasSummary]),
      [
        ['run_a', 'collect', null, true],
        ['run_a', 'sync', null, true],
        ['run_a', 'sync', 'w1', true],
        ['run_a', 'sync', 'w2', true],
        ['run_b', 'collect', null, true],
      ],
    );
    for (const listed of listing.summaries) assert.type(listed.location, 'string');
    const runB = await store.list({ runName: 'run_b' });
    assert.equal(
      runB.summaries.map((s) => s.processName),
      ['collect'],
    );
  });
}

/** A file written by the Python original (relative perf_counter times, no schema_version). */
function seedFormatDict(): Record<string, unknown> {
  const file = new URL(
    '../../../fixtures/seed-format/runs/harvard_2024/process_summary_collect.json',
    import.meta.url,
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Summaries of every shape a listing shows, saved through the store. */
async function saveVariedSummaries(store: SummaryStore): Promise<SummaryRef[]> {
  const saved: SummaryRef[] = [];
  const save = async (summary: ProcessSummary, lease?: Lease) => {
    await store.save(summary, lease);
    saved.push({
      runName: summary.runName,
      processName: summary.processName,
      worker: summary.worker ?? null,
    });
  };
  // Running, with a total (an ETA), a current rate, custom metrics the listing must not carry.
  const running = makeSummary({ runName: 'run_l', processName: 'running' });
  running.summary.setItemsTotal(1000);
  running.summary.incrementItems({ processed: 40, successful: 38, failed: 2, bytes: 123_456 });
  running.clock.advance(7.5);
  running.summary.incrementItems({ processed: 3, successful: 3 });
  running.summary.setCustomMetric('big', { rows: Array.from({ length: 50 }, (_, i) => i) });
  running.summary.addProgressUpdate('batch 1', { size: 40 });
  await save(running.summary);
  // Completed with failures; error types and messages holding NUL, escapes and astral text.
  const completed = makeSummary({ runName: 'run_l', processName: 'completed' });
  completed.summary.incrementItems({ processed: 10, successful: 7, failed: 3, retried: 1 });
  completed.summary.addError('Net\u0000Error', 'a\u0000b\u001b[31m"\'\\<x>\u2028😀');
  completed.summary.addError('Ünïcødé', 'ends here \ud83d\ude00');
  completed.clock.advance(12.25);
  completed.summary.endProcess();
  await save(completed.summary);
  // Failed, saved by an owner (the write carries its epoch).
  const failedRef: SummaryRef = { runName: 'run_l', processName: 'failed' };
  const { lease } = await store.acquire(failedRef, { owner: OWNER_A });
  const failed = makeSummary(failedRef);
  failed.summary.incrementItems({ processed: 1, failed: 1 });
  failed.clock.advance(0.125);
  failed.summary.endProcess({ outcome: 'failed' });
  await save(failed.summary, lease);
  // A worker of a process.
  const worker = makeSummary({ runName: 'run_l', processName: 'sharded', worker: 'w-2' });
  worker.summary.incrementItems({ processed: 5, successful: 5 });
  await save(worker.summary);
  // Loaded from a file of the Python original (relative times), then saved.
  await save(ProcessSummary.fromDict(seedFormatDict()));
  return saved;
}

/**
 * What `readListing` must answer for a `read` with `full: false`: the same, the dict cut to the
 * listing fields. For stores' own tests too.
 */
export function projected(read: ReadResult | null): unknown {
  if (read === null || read.dict === null) return read;
  const dict = read.dict as unknown as Record<string, unknown>;
  return {
    ...read,
    dict: Object.fromEntries(LISTING_FIELDS.filter((k) => k in dict).map((k) => [k, dict[k]])),
  };
}

function listingProjection(test: Test<Ctx>): void {
  const light: ReadOptions = { full: false };

  test('readListing answers readMany with full: false, each dict cut to LISTING_FIELDS', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.readListing === undefined) return; // a capability, not every store has it
    const refs = await saveVariedSummaries(store);
    const listed = await store.readListing(refs);
    assert.is(listed.length, refs.length);
    for (const [i, ref] of refs.entries()) {
      const full = await store.read(ref);
      const read = listed[i] ?? null;
      assert.ok(read?.dict, `a listing of ${ref.processName}`);
      assert.equal(read, projected(await store.read(ref, light)), ref.processName);
      const whole = dictOf(full);
      const cut = read.dict as unknown as Record<string, unknown>;
      for (const key of LISTING_FIELDS) {
        assert.is(key in cut, key in whole, `${ref.processName}: ${key} present as in the whole`);
        assert.equal(cut[key], whole[key], `${ref.processName}: ${key}`);
      }
      assert.equal(Object.keys(cut).sort(), LISTING_FIELDS.filter((k) => k in whole).sort());
      assert.not.ok('custom_metrics' in cut, 'custom metrics are not in a listing');
      assert.not.ok('progress_updates' in cut, 'progress updates are not in a listing');
    }
    const completed = listed[1]?.dict as unknown as { error_types: Record<string, number> };
    assert.equal(completed.error_types, { 'Net\u0000Error': 1, Ünïcødé: 1 });
    assert.is(listed[2]?.epoch, (await store.read(refs[2] as SummaryRef))?.epoch);
    assert.type(listed[2]?.epoch, 'number', 'the owner-saved summary carries its epoch');
    assert.is(
      listed[4]?.dict?.start_time,
      (await store.read(refs[4] as SummaryRef))?.dict?.start_time,
    );
  });

  test('readListing of a missing ref is null in its place, and of no refs is empty', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.readListing === undefined) return;
    await store.save(makeSummary().summary);
    const missing: SummaryRef = { runName: 'harvard_2024', processName: 'nothing' };
    const listed = await store.readListing([missing, REF, { ...REF, worker: 'w9' }]);
    assert.is(listed.length, 3);
    assert.is(listed[0], null);
    assert.is(listed[1]?.dict?.run_name, REF.runName);
    assert.is(listed[2], null);
    assert.equal(await store.readListing([]), []);
    await store.remove(REF);
    assert.equal(await store.readListing([REF]), [projected(await store.read(REF, light))]);
  });

  test('readListing after a later save shows the new values, never the earlier listing', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.readListing === undefined) return;
    const { summary, clock } = makeSummary();
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary);
    const first = await store.readListing([REF]);
    assert.is(first[0]?.dict?.items_processed, 1);
    clock.advance(60);
    summary.incrementItems({ processed: 9, successful: 8, failed: 1 });
    summary.addError('Timeout', 'slow');
    summary.endProcess();
    await store.save(summary);
    const second = await store.readListing([REF]);
    assert.equal(second, [projected(await store.read(REF, light))]);
    const dict = second[0]?.dict as unknown as Record<string, unknown>;
    assert.is(dict.items_processed, 10);
    assert.is(dict.status, 'completed');
    assert.equal(dict.error_types, { Timeout: 1 });
  });

  test('readListing reports a damaged summary as a problem, not a throw', async ({ subject }) => {
    const { store } = subject;
    if (store.readListing === undefined || subject.corrupt === undefined) return;
    await store.save(makeSummary().summary);
    await subject.corrupt(REF);
    const [read] = await store.readListing([REF]);
    assert.ok(read);
    assert.is(read.dict, null);
    assert.ok(read.problem, 'the problem is reported');
    assert.equal(read, await store.read(REF, light));
  });

  test('readListing refuses invalid refs with E_INVALID_NAME, as read does', async ({
    subject,
  }) => {
    const { store } = subject;
    const readListing = store.readListing?.bind(store);
    if (readListing === undefined) return;
    for (const bad of BAD_NAMES) {
      await failsWith(
        () => readListing([REF, { runName: bad, processName: 'x' }]),
        'E_INVALID_NAME',
      );
    }
  });
}

/** Every page of `scanListings(options)`, its summaries sorted as `list` sorts them. */
async function scanAll(
  store: SummaryStore,
  options?: { runName?: string },
): Promise<{ listed: ListedListing[]; problems: ListProblem[]; pages: number }> {
  const listed: ListedListing[] = [];
  const problems: ListProblem[] = [];
  let pages = 0;
  for await (const page of (store.scanListings as NonNullable<SummaryStore['scanListings']>)(
    options,
  )) {
    pages += 1;
    listed.push(...page.listed);
    problems.push(...page.problems);
  }
  listed.sort((a, b) => compareRefs(a.summary, b.summary));
  return { listed, problems, pages };
}

function scanningListings(test: Test<Ctx>): void {
  test('scanListings holds what list holds, each once, with what readListing gives', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.scanListings === undefined) return; // a capability, not every store has it
    const empty = await scanAll(store);
    assert.equal([empty.listed, empty.problems], [[], []], 'an empty store scans empty');
    const refs = await saveVariedSummaries(store);
    const gone: SummaryRef = { runName: 'run_l', processName: 'gone' };
    await store.save(makeSummary(gone).summary);
    await store.remove(gone);
    const scanned = await scanAll(store);
    const listing = await store.list();
    assert.equal(
      scanned.listed.map((l) => l.summary),
      listing.summaries,
      'the summaries list holds',
    );
    assert.equal(scanned.problems, listing.problems);
    assert.is(scanned.listed.length, refs.length);
    for (const { summary, read } of scanned.listed) {
      const [expected] = await (store.readListing as NonNullable<SummaryStore['readListing']>)([
        summary,
      ]);
      assert.equal(read, expected ?? null, summary.processName);
      assert.equal(read, projected(await store.read(summary, { full: false })));
    }
  });

  test('scanListings of one run holds that run only, and shows the latest save', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.scanListings === undefined) return;
    const { summary, clock } = makeSummary();
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary);
    await store.save(makeSummary({ runName: 'run_other', processName: 'collect' }).summary);
    const first = await scanAll(store, { runName: REF.runName });
    assert.equal(
      first.listed.map((l) => [l.summary.runName, l.read?.dict?.items_processed]),
      [[REF.runName, 1]],
    );
    clock.advance(30);
    summary.incrementItems({ processed: 4, failed: 4 });
    summary.endProcess();
    await store.save(summary);
    const second = await scanAll(store, { runName: REF.runName });
    const dict = second.listed[0]?.read?.dict as unknown as Record<string, unknown>;
    assert.is(dict.items_processed, 5);
    assert.is(dict.status, 'completed');
    assert.equal((await scanAll(store, { runName: 'run_none' })).listed, []);
  });

  test('scanListings reports a damaged summary as a problem in its read, not a throw', async ({
    subject,
  }) => {
    const { store } = subject;
    if (store.scanListings === undefined || subject.corrupt === undefined) return;
    await store.save(makeSummary().summary);
    await subject.corrupt(REF);
    const { listed } = await scanAll(store);
    assert.is(listed.length, 1);
    assert.is(listed[0]?.read?.dict, null);
    assert.ok(listed[0]?.read?.problem, 'the problem is reported');
    assert.equal(listed[0]?.read, await store.read(REF, { full: false }));
  });

  test('scanListings refuses an invalid run name with E_INVALID_NAME', async ({ subject }) => {
    const { store } = subject;
    if (store.scanListings === undefined) return;
    for (const bad of BAD_NAMES) {
      await failsWith(() => scanAll(store, { runName: bad }), 'E_INVALID_NAME');
    }
  });
}

function journalAndWatch(test: Test<Ctx>): void {
  test('save appends the pending journal events in order, once', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.addProgressUpdate('first');
    summary.addError('NetworkError', 'timeout');
    await subject.store.save(summary);
    summary.addProgressUpdate('second');
    summary.endProcess();
    await subject.store.save(summary);
    await subject.store.save(summary);
    const records = await collect(subject.store.events(REF));
    assert.equal(eventLabels(records), [
      'session_start',
      'first',
      'error',
      'second',
      'session_end',
    ]);
    assert.is(summary.pendingEventCount, 0);
  });

  test('events resumed from a cursor return exactly the remainder', async ({ subject }) => {
    const { store } = subject;
    const { summary } = makeSummary();
    for (const message of ['one', 'two', 'three']) summary.addProgressUpdate(message);
    await store.save(summary);
    const all = await collect(store.events(REF));
    assert.equal(eventLabels(all), ['session_start', 'one', 'two', 'three']);
    const cursor = all[1]?.cursor;
    const rest = await collect(store.events(REF, { after: cursor }));
    assert.equal(rest, all.slice(2));

    summary.addProgressUpdate('four');
    await store.save(summary);
    const last = all[all.length - 1]?.cursor;
    assert.equal(eventLabels(await collect(store.events(REF, { after: last }))), ['four']);
    assert.equal(eventLabels(await collect(store.events(REF))), [
      'session_start',
      'one',
      'two',
      'three',
      'four',
    ]);
  });

  test('events of a ref without a journal yield nothing', async ({ subject }) => {
    assert.equal(await collect(subject.store.events(REF)), []);
  });

  test('watch reports a saved ref and ends when its signal aborts', async ({ subject }) => {
    const { store } = subject;
    const target: SummaryRef = { runName: 'watched', processName: 'collect', worker: 'w1' };
    const controller = new AbortController();
    const seen: SummaryRef[] = [];
    const watching = (async () => {
      for await (const ref of store.watch({ signal: controller.signal, intervalMs: 20 })) {
        seen.push(ref);
        if (sameRef(ref, target)) controller.abort();
      }
    })();
    let ended = false;
    void watching.then(() => {
      ended = true;
    });
    const { summary } = makeSummary(target);
    // A store may need a moment to start watching: save again until the change is seen.
    for (let attempt = 0; attempt < 400 && !ended; attempt++) {
      summary.incrementItems({ processed: 1 });
      await store.save(summary);
      await Promise.race([watching, new Promise((resolve) => setTimeout(resolve, 25))]);
    }
    assert.ok(ended, `watch never reported ${target.runName}/${target.processName}@w1`);
    await watching;
    assert.ok(seen.some((ref) => sameRef(ref, target)));
  });

  test('watch ends without error when aborted while nothing changes', async ({ subject }) => {
    const controller = new AbortController();
    const watching = collect(subject.store.watch({ signal: controller.signal, intervalMs: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    assert.equal(await watching, []);
  });
}

function workers(test: Test<Ctx>): void {
  test('worker summaries are kept apart from each other and from the plain process', async ({
    subject,
  }) => {
    const { store } = subject;
    const plain = REF;
    const w1 = { ...REF, worker: 'w1' };
    const w2 = { ...REF, worker: 'w2' };
    for (const [i, ref] of [plain, w1, w2].entries()) {
      const { summary } = makeSummary(ref);
      summary.incrementItems({ processed: i + 1 });
      await store.save(summary);
    }
    assert.is((await store.load(plain))?.summary.itemsProcessed, 1);
    const loaded = await store.load(w1);
    assert.is(loaded?.summary.itemsProcessed, 2);
    assert.is(loaded?.summary.worker, 'w1');
    assert.is(dictOf(await store.read(w2)).worker, 'w2');
    assert.is(dictOf(await store.read(plain)).worker, undefined);
    assert.is(await store.remove(w1), true);
    assert.is(await store.load(w1), null);
    assert.is((await store.load(plain))?.summary.itemsProcessed, 1);
    assert.is((await store.load(w2))?.summary.itemsProcessed, 3);
  });

  test('each worker has its own owner', async ({ subject }) => {
    const { store } = subject;
    const w1 = { ...REF, worker: 'w1' };
    const w2 = { ...REF, worker: 'w2' };
    const a = await store.acquire(w1, { owner: OWNER_A });
    const b = await store.acquire(w2, { owner: OWNER_B });
    const c = await store.acquire(REF, { owner: OWNER_C });
    assert.ok(sameRef(a.lease.ref, w1));
    assert.is((await store.ownerStatus(w2)).owner?.pid, OWNER_B.pid);
    assert.is((await store.ownerStatus(REF)).owner?.pid, OWNER_C.pid);
    await store.save(makeSummary(w1).summary, a.lease);
    await failsWith(() => store.save(makeSummary(w2).summary, a.lease), 'E_INVALID_ARGUMENT');
    await store.save(makeSummary(w2).summary, b.lease);
    await store.release(c.lease);
    assert.is((await store.ownerStatus(w1)).state, 'alive');
  });
}

function badInput(test: Test<Ctx>): void {
  test('invalid run, process and worker names are refused with E_INVALID_NAME, nothing changes', async ({
    subject,
  }) => {
    const { store } = subject;
    const refs: SummaryRef[] = [];
    for (const bad of BAD_NAMES) {
      refs.push({ runName: bad, processName: 'collect' });
      refs.push({ runName: 'run', processName: bad });
      refs.push({ runName: 'run', processName: 'collect', worker: bad });
    }
    refs.push({ runName: 'run', processName: 'a@b' });
    refs.push({ runName: 'run', processName: 'collect', worker: 'w@1' });
    for (const ref of refs) {
      await failsWith(() => store.acquire(ref, { owner: OWNER_A }), 'E_INVALID_NAME');
      await failsWith(() => store.load(ref), 'E_INVALID_NAME');
      await failsWith(() => store.read(ref), 'E_INVALID_NAME');
      await failsWith(() => store.archive(ref), 'E_INVALID_NAME');
      await failsWith(() => store.remove(ref), 'E_INVALID_NAME');
      await failsWith(() => store.ownerStatus(ref), 'E_INVALID_NAME');
      await failsWith(() => collect(store.events(ref)), 'E_INVALID_NAME');
    }
    for (const bad of BAD_NAMES) {
      await failsWith(() => store.list({ runName: bad }), 'E_INVALID_NAME');
    }
    assert.equal(await store.list(), { summaries: [], problems: [] });
  });
}

// ---------------------------------------------------------------- consumer state

const MIB = 1024 * 1024;

/** A value that JSON round-trips but that a careless store would not: the read must equal it. */
const AWKWARD_VALUE: JsonValue = {
  text: 'plain',
  unicode: 'é è ü ß 漢字 العربية עברית 😀 👩‍👩‍👧 e\u0301',
  nul: 'a\u0000b\u0000',
  controls: '\u0001\u001b[31m\u007f\u2028\u2029\u202e',
  lone: 'x\ud800y\udc00',
  quotes: '"\\\'`',
  numbers: [0, -1, 1.5, 1e300, -2.5e-300, Number.MAX_SAFE_INTEGER],
  flags: [true, false, null],
  empty: { object: {}, array: [], string: '' },
  nested: { a: { b: { c: [{ d: [[['deep']]] }] } } },
  ['__proto__']: { polluted: false },
  'key with spaces / and \u0000': 1,
};

/** The stores that keep state; the others leave both methods undefined (checked first). */
function stateStore(subject: ContractSubject): StateKeepingStore | null {
  const { store } = subject;
  assert.is(
    typeof store.readState,
    typeof store.writeState,
    'readState and writeState are one capability: both or neither',
  );
  return canKeepState(store) ? store : null;
}

function consumerState(test: Test<Ctx>): void {
  test('readState of a key never written resolves null', async ({ subject }) => {
    const store = stateStore(subject);
    if (store === null) return; // a capability, not every store has it
    assert.is(await store.readState('alerts/default'), null);
    assert.is(await store.readState('a'), null);
  });

  test('writeState with expected null creates version 1, read back equal, then versions grow by one', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    const value = { firing: { 'too-many-errors/run_a/collect': { since: 1_750_000_000 } } };
    assert.is(await store.writeState('alerts/default', value, null), 1);
    assert.equal(await store.readState('alerts/default'), { value, version: 1 });
    assert.is(await store.writeState('alerts/default', { firing: {} }, 1), 2);
    assert.is(await store.writeState('alerts/default', [1, 2, 3], 2), 3);
    assert.equal(await store.readState('alerts/default'), { value: [1, 2, 3], version: 3 });
  });

  test('a value reads back deeply equal: unicode, NUL, lone surrogates, nested, __proto__ keys', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    await store.writeState('awkward', AWKWARD_VALUE, null);
    const read = await store.readState('awkward');
    assert.ok(read);
    assert.equal(read.value, AWKWARD_VALUE);
    assert.ok(Object.hasOwn(read.value as object, '__proto__'), '__proto__ is an own key');
    assert.is(Object.getPrototypeOf(read.value), Object.prototype, 'the prototype is untouched');
    for (const [i, scalar] of (['text', 0, -7.25, true, false, null] as JsonValue[]).entries()) {
      await store.writeState(`scalar/${i}`, scalar, null);
      assert.equal(await store.readState(`scalar/${i}`), { value: scalar, version: 1 });
    }
  });

  test('values are copies: changing what was written or read changes nothing stored', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    const value = { list: [1, 2], inner: { n: 1 } };
    await store.writeState('copies', value, null);
    value.list.push(3);
    value.inner.n = 99;
    const first = await store.readState('copies');
    assert.equal(first?.value, { list: [1, 2], inner: { n: 1 } });
    (first?.value as { inner: { n: number } }).inner.n = 42;
    assert.equal((await store.readState('copies'))?.value, { list: [1, 2], inner: { n: 1 } });
  });

  test('a stale expected version, or null when a document exists, is E_CONFLICT and changes nothing', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    await store.writeState('alerts/default', { n: 1 }, null);
    await store.writeState('alerts/default', { n: 2 }, 1);
    const before = await store.readState('alerts/default');
    await failsWith(() => store.writeState('alerts/default', { n: 'stale' }, 1), 'E_CONFLICT');
    await failsWith(() => store.writeState('alerts/default', { n: 'create' }, null), 'E_CONFLICT');
    await failsWith(() => store.writeState('alerts/default', { n: 'ahead' }, 3), 'E_CONFLICT');
    assert.equal(await store.readState('alerts/default'), before);
    assert.equal(before, { value: { n: 2 }, version: 2 });
    await failsWith(() => store.writeState('absent', { n: 1 }, 1), 'E_CONFLICT');
    assert.is(await store.readState('absent'), null, 'a conflict creates nothing');
  });

  test('concurrent writers with the same expected version: exactly one wins', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    for (const expected of [null, 1, 2]) {
      const writers = Array.from({ length: 6 }, (_, i) => ({ writer: i, expected }));
      const results = await Promise.allSettled(
        writers.map((value) => store.writeState('race', value, expected)),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [[i, r.value]] : []));
      assert.is(won.length, 1, `one winner with expected ${expected}`);
      for (const r of results) {
        if (r.status === 'rejected') assert.is(r.reason?.code, 'E_CONFLICT', String(r.reason));
      }
      const [winner, version] = won[0] as [number, number];
      assert.is(version, (expected ?? 0) + 1);
      assert.equal(await store.readState('race'), { value: writers[winner], version });
    }
  });

  test('bad keys are refused with E_INVALID_ARGUMENT before anything is touched', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    await store.writeState('kept', { n: 1 }, null);
    const bad: unknown[] = [
      '',
      '.',
      '..',
      'a/..',
      '../kept',
      './kept',
      '/kept',
      'kept/',
      'a//b',
      'Kept',
      'ALERTS/default',
      'a b',
      'a\\b',
      'a\u0000b',
      'ké',
      'a~b',
      'x'.repeat(65),
      `a/${'x'.repeat(65)}`,
      'a/b/c/d/e',
      undefined,
      null,
      42,
      ['kept'],
    ];
    for (const key of bad) {
      await failsWith(() => store.readState(key as string), 'E_INVALID_ARGUMENT');
      await failsWith(() => store.writeState(key as string, { n: 2 }, null), 'E_INVALID_ARGUMENT');
      await failsWith(() => store.writeState(key as string, { n: 2 }, 1), 'E_INVALID_ARGUMENT');
    }
    // The longest and deepest keys that are valid are accepted.
    const longest = Array.from({ length: 4 }, (_, i) => String(i).repeat(64)).join('/');
    assert.is(await store.writeState(longest, 'ok', null), 1);
    assert.is(await store.writeState('.a/_b/-c/d.e', 'ok', null), 1);
    assert.equal(await store.readState('kept'), { value: { n: 1 }, version: 1 });
    assert.equal(await store.list(), { summaries: [], problems: [] });
  });

  test('a value JSON would change, or a bad expected version, is E_INVALID_ARGUMENT and changes nothing', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    await store.writeState('kept', { n: 1 }, null);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const values: unknown[] = [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      () => 1,
      Symbol('s'),
      10n,
      new Date(0),
      new Map(),
      { nested: { bad: undefined } },
      [1, Number.NaN],
      cycle,
    ];
    for (const value of values) {
      await failsWith(() => store.writeState('kept', value as JsonValue, 1), 'E_INVALID_ARGUMENT');
    }
    for (const expected of [0, -1, 1.5, '1', undefined, Number.NaN]) {
      await failsWith(
        () => store.writeState('kept', { n: 2 }, expected as number),
        'E_INVALID_ARGUMENT',
      );
    }
    assert.equal(await store.readState('kept'), { value: { n: 1 }, version: 1 });
  });

  test('a value over 1 MiB of JSON is E_TOO_LARGE and changes nothing; exactly 1 MiB is kept', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    await store.writeState('big', 'small', null);
    // A string serializes with its two quotes.
    const exact = 'x'.repeat(MIB - 2);
    await failsWith(() => store.writeState('big', `${exact}x`, 1), 'E_TOO_LARGE');
    // Under 1 Mi characters, over 1 MiB of UTF-8: the limit is in bytes.
    await failsWith(() => store.writeState('big', 'é'.repeat(MIB / 2), 1), 'E_TOO_LARGE');
    await failsWith(() => store.writeState('big', { list: [exact, 'x'] }, 1), 'E_TOO_LARGE');
    assert.equal(await store.readState('big'), { value: 'small', version: 1 });
    assert.is(await store.writeState('big', exact, 1), 2);
    const read = await store.readState('big');
    assert.is(read?.version, 2);
    assert.ok(read?.value === exact, 'the 1 MiB value reads back whole');
  });

  test('state is never a summary: not listed, not read as one, summaries unaffected', async ({
    subject,
  }) => {
    const store = stateStore(subject);
    if (store === null) return;
    // Keys spelled like run names, process names and file names of a store.
    const keys = [
      'harvard_2024',
      'harvard_2024/collect',
      'harvard_2024/process_summary_collect.json',
      '.hidden',
      '.hidden/collect',
      'alerts/default',
    ];
    for (const key of keys) await store.writeState(key, { key }, null);
    assert.equal(await store.list(), { summaries: [], problems: [] });
    assert.is(await store.read(REF), null);
    assert.is(await store.read({ runName: '.hidden', processName: 'collect' }), null);
    assert.is(await store.load(REF), null);
    await store.save(makeSummary().summary);
    const listing = await store.list();
    assert.equal(
      listing.summaries.map((s) => [s.runName, s.processName, s.worker ?? null]),
      [[REF.runName, REF.processName, null]],
    );
    assert.is(await store.remove(REF), true);
    for (const key of keys)
      assert.equal(await store.readState(key), { value: { key }, version: 1 });
    assert.equal(await store.list(), { summaries: [], problems: [] });
  });

  test('watch never reports a state write as a summary ref', async ({ subject }) => {
    const store = stateStore(subject);
    if (store === null) return;
    const sentinels: SummaryRef[] = [
      { runName: 'watched', processName: 'first' },
      { runName: 'watched', processName: 'second' },
    ];
    const controller = new AbortController();
    const seen: SummaryRef[] = [];
    let waitingFor = 0;
    const watching = (async () => {
      for await (const ref of store.watch({ signal: controller.signal, intervalMs: 20 })) {
        seen.push(ref);
        if (sameRef(ref, sentinels[waitingFor] as SummaryRef)) {
          waitingFor += 1;
          if (waitingFor === sentinels.length) controller.abort();
        }
      }
    })();
    for (const [i, sentinel] of sentinels.entries()) {
      const { summary } = makeSummary(sentinel);
      // State writes before the save: a watch reporting them would report them first.
      for (let attempt = 0; attempt < 400 && waitingFor === i; attempt++) {
        for (const key of ['alerts/default', 'watched', 'watched/first']) {
          const read = await store.readState(key);
          await store.writeState(key, { attempt }, read?.version ?? null);
        }
        summary.incrementItems({ processed: 1 });
        await store.save(summary);
        await Promise.race([watching, new Promise((resolve) => setTimeout(resolve, 25))]);
      }
      assert.is(waitingFor, i + 1, `watch never reported ${sentinel.processName}`);
    }
    await watching;
    for (const ref of seen) {
      assert.ok(
        sentinels.some((sentinel) => sameRef(sentinel, ref)),
        `watch reported ${JSON.stringify(ref)}, which no summary write changed`,
      );
    }
  });
}
