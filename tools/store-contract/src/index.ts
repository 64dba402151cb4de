/**
 * The behaviour every `SummaryStore` promises, as one uvu suite. Each implementation's tests
 * call `runStoreContract` with a factory; the memory store and the file store run it today.
 */
import {
  createManualClock,
  ProcessSummary,
  type SummaryEvent,
  type SummaryStore,
} from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

export interface ContractSubject {
  store: SummaryStore;
  /** Every journal event the store holds for (run, process), oldest first. */
  readEvents(runName: string, processName: string): Promise<SummaryEvent[]>;
  cleanup(): Promise<void>;
}

function makeSummary(runName = 'harvard_2024', processName = 'collect') {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName, processName, clock });
  summary.startProcess({ host: 'test-host', pid: 4242 });
  return { summary, clock };
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code);
    return;
  }
  assert.unreachable(`expected a rejection with ${code}`);
}

export function runStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  const test = suite<{ subject: ContractSubject }>(`SummaryStore contract: ${name}`);
  test.before.each(async (ctx) => {
    ctx.subject = await create();
  });
  test.after.each(async (ctx) => {
    await ctx.subject.cleanup();
  });

  test('load of a summary never saved resolves null', async ({ subject }) => {
    assert.is(await subject.store.load('harvard_2024', 'collect'), null);
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
    const loaded = await subject.store.load('harvard_2024', 'collect');
    assert.ok(loaded);
    assert.equal(loaded.warnings, []);
    assert.equal(loaded.summary.getSummaryDict(), saved);
  });

  test('a later save replaces the earlier state', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 1 });
    await subject.store.save(summary);
    summary.incrementItems({ processed: 41 });
    summary.endProcess();
    await subject.store.save(summary);
    const loaded = await subject.store.load('harvard_2024', 'collect');
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
    const loaded = await subject.store.load('harvard_2024', 'collect');
    assert.is(loaded?.summary.itemsProcessed, 50);
  });

  test('summaries of different processes and runs are kept apart', async ({ subject }) => {
    const a = makeSummary('run_a', 'collect').summary;
    const b = makeSummary('run_a', 'sync').summary;
    const c = makeSummary('run_b', 'collect').summary;
    a.incrementItems({ processed: 1 });
    b.incrementItems({ processed: 2 });
    c.incrementItems({ processed: 3 });
    await Promise.all([subject.store.save(a), subject.store.save(b), subject.store.save(c)]);
    assert.is((await subject.store.load('run_a', 'collect'))?.summary.itemsProcessed, 1);
    assert.is((await subject.store.load('run_a', 'sync'))?.summary.itemsProcessed, 2);
    assert.is((await subject.store.load('run_b', 'collect'))?.summary.itemsProcessed, 3);
  });

  test('list returns every (run, process) sorted', async ({ subject }) => {
    assert.equal(await subject.store.list(), []);
    for (const [run, proc] of [
      ['run_b', 'collect'],
      ['run_a', 'sync'],
      ['run_a', 'collect'],
    ] as const) {
      await subject.store.save(makeSummary(run, proc).summary);
    }
    assert.equal(await subject.store.list(), [
      { runName: 'run_a', processName: 'collect' },
      { runName: 'run_a', processName: 'sync' },
      { runName: 'run_b', processName: 'collect' },
    ]);
  });

  test('remove deletes a summary and reports whether there was one', async ({ subject }) => {
    await subject.store.save(makeSummary().summary);
    assert.is(await subject.store.remove('harvard_2024', 'collect'), true);
    assert.is(await subject.store.load('harvard_2024', 'collect'), null);
    assert.is(await subject.store.remove('harvard_2024', 'collect'), false);
  });

  test('names that could escape the root are refused with E_INVALID_NAME', async ({ subject }) => {
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000b']) {
      await rejectsWithCode(subject.store.load(bad, 'collect'), 'E_INVALID_NAME');
      await rejectsWithCode(subject.store.load('run', bad), 'E_INVALID_NAME');
      await rejectsWithCode(subject.store.remove(bad, 'collect'), 'E_INVALID_NAME');
    }
    assert.equal(await subject.store.list(), []);
  });

  test('save appends the pending journal events in order, once', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.addProgressUpdate('first');
    summary.addError('NetworkError', 'timeout');
    await subject.store.save(summary);
    summary.addProgressUpdate('second');
    summary.endProcess();
    await subject.store.save(summary);
    await subject.store.save(summary);
    const events = await subject.readEvents('harvard_2024', 'collect');
    assert.equal(
      events.map((e) => (e.type === 'progress' ? `progress:${e.message}` : e.type)),
      ['session_start', 'progress:first', 'error', 'progress:second', 'session_end'],
    );
    assert.is(summary.pendingEventCount, 0);
  });

  test('archive sets a summary aside: load finds none, nothing is deleted', async ({ subject }) => {
    const { store } = subject;
    if (store.archive === undefined) return; // optional in the contract
    assert.is(await store.archive('harvard_2024', 'collect'), null, 'nothing to archive');
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 7 });
    await store.save(summary);
    const archivedAs = await store.archive('harvard_2024', 'collect');
    assert.type(archivedAs, 'string');
    assert.is(await store.load('harvard_2024', 'collect'), null);
    const next = makeSummary().summary;
    await store.save(next);
    assert.is((await store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 0);
  });

  test('a loaded summary can be resumed and saved again', async ({ subject }) => {
    const { summary } = makeSummary();
    summary.incrementItems({ processed: 5, successful: 5 });
    await subject.store.save(summary);
    const loaded = await subject.store.load('harvard_2024', 'collect');
    assert.ok(loaded);
    const resumed = loaded.summary;
    resumed.startProcess({ host: 'test-host', pid: 4343 });
    resumed.incrementItems({ processed: 3, successful: 3 });
    await subject.store.save(resumed);
    const again = await subject.store.load('harvard_2024', 'collect');
    assert.is(again?.summary.itemsProcessed, 8);
    assert.is(again?.summary.sessionCount, 2);
  });

  test.run();
}
