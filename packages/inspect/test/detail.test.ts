import {
  createManualClock,
  MemorySummaryStore,
  ProcessSummary,
  type ReadResult,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detailOf, errorsByType, RECENT_UPDATES, readDetail } from '../src/detail.js';
import { judgeStatus } from '../src/status.js';
import { dictOf, ownerStatus, readOf, seedFixture, started, T0 } from './_helpers.js';

test('error shares never exceed 100% even when the counts disagree with the total', () => {
  const errors = errorsByType({ Net: 4, Parse: 1 }, 2);
  assert.equal(
    errors.map((e) => [e.type, e.share_percent]),
    [
      ['Net', 80],
      ['Parse', 20],
    ],
  );
  for (const e of errorsByType({ A: 5 }, 1)) assert.ok(e.share_percent <= 100);
});

test('rounded shares of equal types add up to at most 100', () => {
  const errors = errorsByType({ A: 1, B: 1, C: 1 }, 3);
  assert.equal(
    errors.map((e) => e.share_percent),
    [33.33, 33.33, 33.33],
  );
  const twoThirds = errorsByType({ A: 2, B: 1 }, 3);
  assert.ok(twoThirds.reduce((sum, e) => sum + e.share_percent, 0) <= 100);
});

test('the detail of a summary: errors with samples, last error, recent progress, metrics, sessions', () => {
  const { summary, clock } = started();
  summary.setItemsTotal(200);
  for (let i = 1; i <= 7; i++) {
    clock.advance(1);
    summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
    summary.addProgressUpdate(`batch ${i}`, { batch: i });
  }
  summary.addError('Net', 'timeout');
  summary.addError('Net', 'reset');
  summary.addError('Parse', 'bad json');
  summary.setCustomMetric('storage', 'minio');
  const read = readOf(dictOf(summary));
  const view = detailOf(read, judgeStatus(read, ownerStatus('alive'), { now: clock.now() }));
  assert.equal(
    view.errors_by_type.map((e) => [e.type, e.count, e.samples]),
    [
      ['Net', 2, ['timeout', 'reset']],
      ['Parse', 1, ['bad json']],
    ],
  );
  assert.is(view.errors_by_type[0]?.share_percent, 66.66);
  assert.is(view.last_error?.message, 'bad json');
  assert.is(view.progress_updates_count, 7);
  assert.is(view.recent_progress_updates.length, RECENT_UPDATES);
  assert.is(view.recent_progress_updates.at(-1)?.message, 'batch 7');
  assert.is(view.progress_percent, 35);
  assert.equal(view.custom_metrics, { storage: 'minio' });
  assert.is(view.sessions.length, 1);
  assert.is(view.status, 'running');
});

test('a crashed detail carries no current rate and no ETA', () => {
  const { summary, clock } = started();
  summary.setItemsTotal(100);
  clock.advance(10);
  summary.incrementItems({ processed: 10, successful: 10 });
  const read = readOf(dictOf(summary));
  const view = detailOf(read, judgeStatus(read, ownerStatus('dead'), { now: clock.now() }));
  assert.is(view.status, 'crashed');
  assert.is(view.current_rate_per_second, null);
  assert.is(view.eta_seconds, null);
});

test('a seed-format detail has a relative time base and no sessions', () => {
  const read = readOf(seedFixture('collect'));
  const view = detailOf(read, judgeStatus(read, null, { now: T0 }));
  assert.is(view.time_base, 'relative');
  assert.equal(view.sessions, []);
  assert.is(
    view.errors_by_type.reduce((sum, e) => sum + e.count, 0),
    8,
  );
});

test('readDetail of a process with workers merges them and keeps each worker', async () => {
  const clock = createManualClock(T0);
  const store = new MemorySummaryStore({ clock });
  for (const worker of ['w2', 'w1']) {
    const s = new ProcessSummary({ runName: 'r', processName: 'collect', worker, clock });
    s.startProcess();
    clock.advance(1);
    s.incrementItems({ processed: 3, successful: 2, failed: 1 });
    s.addError('Net', `timeout on ${worker}`);
    s.addProgressUpdate(`${worker} batch`);
    s.endProcess();
    await store.save(s);
  }
  const { detail, unusable } = await readDetail(
    store,
    { runName: 'r', processName: 'collect' },
    { now: clock.now() },
  );
  assert.equal(unusable, []);
  assert.ok(detail);
  assert.is(detail.worker_count, 2);
  assert.is(detail.items_processed, 6);
  assert.equal(detail.errors_by_type, [
    {
      type: 'Net',
      count: 2,
      share_percent: 100,
      samples: ['timeout on w1', 'timeout on w2'],
      first_seen: T0 + 1,
      last_seen: T0 + 2,
    },
  ]);
  assert.equal(
    detail.recent_progress_updates.map((u) => [u.message, u.worker]),
    [
      ['w2 batch', 'w2'],
      ['w1 batch', 'w1'],
    ],
  );
  assert.equal(
    detail.workers.map((w) => [w.worker, w.sessions.length]),
    [
      ['w1', 1],
      ['w2', 1],
    ],
  );
  assert.is(detail.last_error?.message, 'timeout on w1');
});

test('readDetail of a missing summary reports it unusable, without throwing', async () => {
  const store = new MemorySummaryStore({ clock: createManualClock(T0) });
  const { detail, unusable } = await readDetail(
    store,
    { runName: 'r', processName: 'nope' },
    { now: T0 },
  );
  assert.is(detail, null);
  assert.is(unusable[0]?.status, 'missing');
});

test('readDetail of a run that has only a journal points to repair', async () => {
  const inner = new MemorySummaryStore({ clock: createManualClock(T0) });
  const store = new Proxy(inner, {
    get(target, key) {
      if (key === 'read') {
        return async (ref: SummaryRef): Promise<ReadResult> => ({
          ref,
          location: 'mem:r/collect',
          dict: null,
          problem: {
            code: 'E_NOT_FOUND',
            reason: 'does not exist',
            message: 'mem:r/collect: does not exist',
            issues: [],
          },
          seedFormat: false,
          writtenAt: null,
          epoch: null,
          hasHistory: true,
          sizeBytes: null,
        });
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SummaryStore;
  const { detail, unusable } = await readDetail(
    store,
    { runName: 'r', processName: 'collect' },
    { now: T0 },
  );
  assert.is(detail, null);
  assert.is(unusable[0]?.status, 'needs_repair');
  assert.match(unusable[0]?.message ?? '', 'run repair');
});

test.run();
