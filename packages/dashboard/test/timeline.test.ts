import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createManualClock,
  type ManualClock,
  MemorySummaryStore,
  ProcessSummary,
  type SummaryStore,
} from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildTimeline,
  clearTimelineCache,
  JournalSeriesBuilder,
  niceBucket,
  readTimeline,
  summarySeries,
} from '../src/timeline.js';

const T = 1_750_000_000;
const RUN = 'harvard_2024';
const seedRuns = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'fixtures',
  'seed-format',
  'runs',
);

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ps-dashboard-timeline-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Saves `summary` as its owner would (acquire, save, release). */
async function persist(store: SummaryStore, summary: ProcessSummary): Promise<void> {
  const ref = {
    runName: summary.runName,
    processName: summary.processName,
    worker: summary.worker,
  };
  const { lease } = await store.acquire(ref);
  await store.save(summary, lease);
  await store.release(lease);
}

/**
 * Session 1 from T to T+20 (100 items by T+10, 200 by T+20), stopped by SIGTERM; resumed at
 * T+40 (the interruption recorded), 50 more items, completed at T+50.
 */
function signalledThenResumed(clock: ManualClock): ProcessSummary {
  const s = new ProcessSummary({ runName: RUN, processName: 'collect', clock });
  s.startProcess({ host: 'host-a', pid: 11 });
  clock.advance(10);
  s.incrementItems({ processed: 100, successful: 100 });
  s.addProgressUpdate('batch 1');
  clock.advance(10);
  s.incrementItems({ processed: 100, successful: 100 });
  s.addProgressUpdate('batch 2');
  s.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  clock.advance(20);
  s.recordInterruption({ reason: 'signal', detail: 'stopped by SIGTERM' });
  s.startProcess({ host: 'host-a', pid: 12 });
  clock.advance(10);
  s.incrementItems({ processed: 50, successful: 50 });
  s.addProgressUpdate('batch 3');
  s.endProcess();
  return s;
}

test('buckets of a known journal hold the cumulative count at their end and the rate over them', () => {
  const clock = createManualClock(T);
  const s = signalledThenResumed(clock);
  const builder = new JournalSeriesBuilder(null);
  for (const event of s.takeEvents()) builder.add(event);
  const timeline = buildTimeline([builder.finish(s.getSummaryDict())], {
    now: T + 60,
    maxPoints: 5,
  });
  assert.is(timeline.source, 'journal');
  assert.is(timeline.time_base, 'epoch');
  assert.is(timeline.start_time, T);
  assert.is(timeline.bucket_seconds, 10);
  assert.equal(
    timeline.points.map((p) => [p.t - T, p.processed, p.rate]),
    [
      [10, 100, 10],
      [20, 200, 10],
      [30, 200, null],
      [40, 200, null],
      [50, 250, 5],
    ],
  );
});

test('the rate is null in buckets between sessions and sessions keep how they ended', async () => {
  const clock = createManualClock(T);
  const store = new MemorySummaryStore();
  await persist(store, signalledThenResumed(clock));
  const timeline = await readTimeline(
    store,
    { runName: RUN, processName: 'collect' },
    { now: T + 60 },
  );
  assert.ok(timeline);
  // Default 300 points: 50 s in buckets of 1 s (never finer for epoch times).
  assert.is(timeline.bucket_seconds, 1);
  assert.is(timeline.points.length, 50);
  const nulls = timeline.points.filter((p) => p.rate === null).map((p) => p.t - T);
  assert.equal(
    nulls,
    Array.from({ length: 20 }, (_, i) => 21 + i),
  );
  assert.equal(
    timeline.sessions.map((x) => [x.number, x.start - T, (x.end ?? 0) - T, x.end_reason, x.pid]),
    [
      [1, 0, 20, 'signal', 11],
      [2, 40, 50, 'completed', 12],
    ],
  );
  assert.is(timeline.sessions[0]?.signal, 'SIGTERM');
  assert.is(timeline.sessions[0]?.worker, null);
});

test('an interruption is marked where the interrupted session ended, with its reason and detail', async () => {
  const clock = createManualClock(T);
  const store = new MemorySummaryStore();
  await persist(store, signalledThenResumed(clock));
  const timeline = await readTimeline(
    store,
    { runName: RUN, processName: 'collect' },
    { now: T + 60 },
  );
  assert.equal(
    timeline?.interruptions.map((i) => [i.time - T, i.reason, i.detail, i.worker]),
    [[20, 'signal', 'stopped by SIGTERM', null]],
  );
});

test('a crash found on resume ends its session at the last save, not when it was noticed', async () => {
  const clock = createManualClock(T);
  const store = new MemorySummaryStore();
  const ref = { runName: RUN, processName: 'collect' };
  const first = new ProcessSummary({ ...ref, clock });
  first.startProcess();
  clock.advance(10);
  first.incrementItems({ processed: 100, successful: 100 });
  first.addProgressUpdate('batch 1');
  await persist(store, first);
  // The owner dies; 30 s later another process resumes from what was saved.
  clock.advance(30);
  const { lease } = await store.acquire(ref);
  const loaded = await store.load(ref, { clock });
  assert.ok(loaded);
  const second = loaded.summary;
  second.recordInterruption({ reason: 'crash', detail: 'owner pid 4242 on host-a is gone' });
  second.startProcess();
  clock.advance(10);
  second.incrementItems({ processed: 20, successful: 20 });
  second.addProgressUpdate('batch 2');
  await store.save(second, lease);

  const timeline = await readTimeline(store, ref, { now: clock.now(), maxPoints: 5 });
  assert.ok(timeline);
  assert.equal(
    timeline.sessions.map((s) => [s.number, s.start - T, (s.end ?? -1) - T, s.end_reason]),
    [
      [1, 0, 10, 'crash'],
      [2, 40, -1 - T, null],
    ],
  );
  assert.equal(
    timeline.interruptions.map((i) => [i.time - T, i.reason]),
    [[10, 'crash']],
  );
  assert.is(timeline.bucket_seconds, 10);
  assert.equal(
    timeline.points.map((p) => [p.t - T, p.processed, p.rate]),
    [
      [10, 100, 10],
      [20, 100, null],
      [30, 100, null],
      [40, 100, null],
      [50, 120, 2],
    ],
  );
});

test('a process with two workers gives their sum on one grid, each carried forward between its points', async () => {
  const clock = createManualClock(T);
  const store = new MemorySummaryStore();
  const a = new ProcessSummary({ runName: RUN, processName: 'sync', worker: 'a', clock });
  a.startProcess();
  const b0 = createManualClock(T + 10);
  const b = new ProcessSummary({ runName: RUN, processName: 'sync', worker: 'b', clock: b0 });
  b.startProcess();
  b0.advance(5);
  b.incrementItems({ processed: 50, successful: 50 });
  b.addProgressUpdate('b batch');
  b.endProcess();
  clock.advance(10);
  a.incrementItems({ processed: 100, successful: 100 });
  a.addProgressUpdate('a batch 1');
  clock.advance(10);
  a.incrementItems({ processed: 100, successful: 100 });
  a.addProgressUpdate('a batch 2');
  a.endProcess();
  await persist(store, a);
  await persist(store, b);

  const timeline = await readTimeline(
    store,
    { runName: RUN, processName: 'sync' },
    { now: T + 30, maxPoints: 2 },
  );
  assert.ok(timeline);
  assert.is(timeline.start_time, T);
  assert.is(timeline.bucket_seconds, 10);
  assert.equal(
    timeline.points.map((p) => [p.t - T, p.processed, p.rate]),
    [
      [10, 100, 10],
      [20, 250, 15],
    ],
  );
  assert.equal(
    timeline.sessions.map((s) => [s.worker, s.number, s.start - T]),
    [
      ['a', 1, 0],
      ['b', 1, 10],
    ],
  );

  const one = await readTimeline(
    store,
    { runName: RUN, processName: 'sync', worker: 'b' },
    { now: T + 30, maxPoints: 2 },
  );
  assert.equal(
    one?.points.map((p) => p.processed),
    [50],
  );
});

test('interruptions of a merged view name their worker', async () => {
  const store = new MemorySummaryStore();
  for (const worker of ['w1', 'w2']) {
    const clock = createManualClock(T);
    const s = new ProcessSummary({ runName: RUN, processName: 'p', worker, clock });
    s.startProcess();
    clock.advance(5);
    s.incrementItems({ processed: 5, successful: 5 });
    s.addProgressUpdate('one');
    if (worker === 'w2') s.markInterrupted({ reason: 'exit' });
    else s.endProcess();
    await persist(store, s);
  }
  const timeline = await readTimeline(store, { runName: RUN, processName: 'p' }, { now: T + 9 });
  assert.equal(
    timeline?.interruptions.map((i) => [i.worker, i.reason, i.time - T]),
    [['w2', 'exit', 5]],
  );
});

test('a seed-format file gives a relative time base and points from its progress updates', async () => {
  const { dir, cleanup } = tempDir();
  try {
    cpSync(seedRuns, dir, { recursive: true });
    const store = new FileSummaryStore({ root: dir });
    const timeline = await readTimeline(
      store,
      { runName: RUN, processName: 'collect' },
      { now: T },
    );
    assert.ok(timeline);
    assert.is(timeline.time_base, 'relative');
    assert.is(timeline.source, 'progress_updates');
    assert.ok(timeline.start_time > 322 && timeline.start_time < 323);
    assert.ok(timeline.points.length > 1 && timeline.points.length <= 300);
    assert.ok(timeline.points.every((p) => p.t > 322 && p.t < 323 && p.rate !== null));
    // The last point is the run's end, with its final count.
    assert.is(timeline.points.at(-1)?.processed, 1000);
    const processed = timeline.points.map((p) => p.processed);
    assert.equal(
      processed,
      [...processed].sort((x, y) => x - y),
    );
    assert.equal(timeline.sessions, []);
  } finally {
    cleanup();
  }
});

test('a missing summary has no timeline, and maxPoints outside 1..10000 is refused', async () => {
  const store = new MemorySummaryStore();
  assert.is(await readTimeline(store, { runName: RUN, processName: 'none' }, { now: T }), null);
  for (const maxPoints of [0, 1.5, 10_001, Number.NaN]) {
    try {
      await readTimeline(store, { runName: RUN, processName: 'none' }, { now: T, maxPoints });
      assert.unreachable('accepted');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'E_INVALID_ARGUMENT');
    }
  }
});

test('a journal of 200,000 progress events gives at most maxPoints points', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const store = new FileSummaryStore({ root: dir });
    const clock = createManualClock(T);
    const ref = { runName: RUN, processName: 'big' };
    const s = new ProcessSummary({ ...ref, clock });
    const { lease } = await store.acquire(ref);
    s.startProcess();
    for (let i = 1; i <= 200_000; i += 1) {
      clock.advance(0.5);
      s.incrementItems({ processed: 1, successful: 1 });
      s.addProgressUpdate('tick');
      if (i % 50_000 === 0) await store.save(s, lease);
    }
    await store.release(lease);
    const timeline = await readTimeline(store, ref, { now: clock.now(), maxPoints: 300 });
    assert.ok(timeline);
    assert.is(timeline.source, 'journal');
    assert.ok(timeline.points.length <= 300, `${timeline.points.length} points`);
    // 100,000 s in 500 s buckets: 200 points, two items a second throughout.
    assert.is(timeline.bucket_seconds, 500);
    assert.is(timeline.points.length, 200);
    assert.is(timeline.points.at(-1)?.processed, 200_000);
    assert.ok(timeline.points.every((p) => p.rate === 2));
  } finally {
    cleanup();
  }
});

test('bucket widths are 1, 2 or 5 times a power of ten, never narrower than asked', () => {
  assert.is(niceBucket(0.3 / 3), 0.1);
  assert.is(niceBucket(0.11), 0.2);
  assert.is(niceBucket(3), 5);
  assert.is(niceBucket(333.4), 500);
  assert.is(niceBucket(1000), 1000);
});

test('a summary without sessions counts its whole span as running', () => {
  const series = summarySeries(
    {
      start_time: 100,
      end_time: 110,
      items_processed: 40,
      progress_updates: [
        { timestamp: 105, items_processed: 20 },
        { timestamp: 102, items_processed: 10 },
      ],
    },
    null,
  );
  const timeline = buildTimeline([series], { now: T, maxPoints: 2 });
  assert.is(timeline.time_base, 'relative');
  assert.is(timeline.bucket_seconds, 5);
  assert.equal(
    timeline.points.map((p) => [p.t, p.processed, p.rate]),
    [
      [105, 20, 4],
      [110, 40, 4],
    ],
  );
});

/** `store` with the journal records each `events` call yields counted. */
function countingEvents(store: SummaryStore): { store: SummaryStore; yielded: number[] } {
  const yielded: number[] = [];
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === 'events') {
        return async function* (...args: Parameters<SummaryStore['events']>) {
          const call = yielded.push(0) - 1;
          for await (const record of target.events(...args)) {
            yielded[call] = (yielded[call] as number) + 1;
            yield record;
          }
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, yielded };
}

test('a refresh reads only the journal events after those read before, with the same answer', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = new FileSummaryStore({ root: dir });
    const { store, yielded } = countingEvents(files);
    const clock = createManualClock(T);
    const ref = { runName: RUN, processName: 'collect' };
    const s = new ProcessSummary({ ...ref, clock });
    const { lease } = await files.acquire(ref);
    s.startProcess();
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1);
      s.incrementItems({ processed: 3, successful: 3 });
      s.addProgressUpdate('tick');
    }
    await files.save(s, lease);
    await readTimeline(store, ref, { now: clock.now() });
    assert.equal(yielded, [11]);
    clock.advance(1);
    s.incrementItems({ processed: 3, successful: 3 });
    s.addProgressUpdate('tick');
    clock.advance(1);
    s.endProcess();
    await files.save(s, lease);
    const refreshed = await readTimeline(store, ref, { now: clock.now() });
    // The 2 new events, after the last one read before, read again to check it is the same
    // journal (a run replaced with the same start would otherwise be continued).
    assert.equal(yielded, [11, 3]);
    clearTimelineCache(store);
    const whole = await readTimeline(store, ref, { now: clock.now() });
    assert.equal(yielded, [11, 3, 13]);
    assert.equal(refreshed, whole);
    assert.is(whole?.points.at(-1)?.processed, 33);
    assert.is(whole?.sessions[0]?.end_reason, 'completed');
  } finally {
    cleanup();
  }
});

test('a run removed and started again, or a journal cut short, is read again from its start', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const store = new FileSummaryStore({ root: dir });
    const clock = createManualClock(T);
    const ref = { runName: RUN, processName: 'collect' };
    const first = new ProcessSummary({ ...ref, clock });
    let { lease } = await store.acquire(ref);
    first.startProcess();
    clock.advance(10);
    first.incrementItems({ processed: 500, successful: 500 });
    first.addProgressUpdate('first run');
    await store.save(first, lease);
    assert.is(
      (await readTimeline(store, ref, { now: clock.now() }))?.points.at(-1)?.processed,
      500,
    );
    await store.remove(ref, lease);
    await store.release(lease);

    clock.advance(100);
    const second = new ProcessSummary({ ...ref, clock });
    ({ lease } = await store.acquire(ref));
    second.startProcess();
    for (let i = 0; i < 5; i += 1) {
      clock.advance(10);
      second.incrementItems({ processed: 7, successful: 7 });
      second.addProgressUpdate('second run');
    }
    await store.save(second, lease);
    const again = await readTimeline(store, ref, { now: clock.now() });
    assert.is(again?.start_time, T + 110);
    assert.is(again?.points.at(-1)?.processed, 35);

    // The journal loses its last lines (same run, same start): the cursor no longer fits.
    const journal = join(
      dir,
      RUN,
      readdirSync(join(dir, RUN)).find((f) => f.endsWith('.events.jsonl')) as string,
    );
    const lines = readFileSync(journal, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    writeFileSync(journal, `${lines.slice(0, 3).join('\n')}\n`);
    const cut = await readTimeline(store, ref, { now: clock.now() });
    assert.is(cut?.points.at(-1)?.processed, 14);
  } finally {
    cleanup();
  }
});

test('a bucket a session runs only part of shows the rate over the time it ran, not a dip', async () => {
  // 10 items/s steadily for 25 s: with 10 s buckets the last bucket runs only 5 s of its 10.
  const clock = createManualClock(T);
  const store = new MemorySummaryStore();
  const s = new ProcessSummary({ runName: RUN, processName: 'collect', clock });
  s.startProcess();
  for (let i = 0; i < 5; i += 1) {
    clock.advance(5);
    s.incrementItems({ processed: 50, successful: 50 });
    s.addProgressUpdate(`batch ${i}`);
  }
  s.endProcess();
  await persist(store, s);
  const timeline = await readTimeline(
    store,
    { runName: RUN, processName: 'collect' },
    { now: clock.now(), maxPoints: 3 },
  );
  assert.ok(timeline);
  assert.is(timeline.bucket_seconds, 10);
  assert.equal(
    timeline.points.map((p) => [p.t - T, p.processed, p.rate]),
    [
      [10, 100, 10],
      [20, 200, 10],
      [30, 250, 10],
    ],
  );
});

test.run();
