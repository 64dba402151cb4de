import { strict as assert } from 'node:assert';
import type { SummaryRow } from '@process-summary/inspect';
import { test } from 'uvu';
import {
  type ConditionInput,
  customMetric,
  errorRateAbove,
  errorTypeCountAbove,
  etaAfter,
  evaluateConditions,
  median,
  noProgressFor,
  rateBelowMedianShare,
  staleFor,
  statusIn,
} from '../src/conditions.js';
import { RowHistory } from '../src/history.js';

const NOW = 1_780_000_000;

function row(fields: Partial<SummaryRow> = {}): SummaryRow {
  return {
    run_name: 'r',
    process_name: 'p',
    worker: null,
    location: 'r/p',
    status: 'running',
    file_status: 'running',
    status_reason: null,
    time_base: 'epoch',
    seed_format: false,
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    items_total: null,
    bytes_processed: 0,
    success_rate_percent: 0,
    error_rate_percent: 0,
    processing_rate_per_second: 0,
    current_rate_per_second: null,
    rate_per_second: 0,
    error_count: 0,
    error_types: {},
    interruption_count: 0,
    start_time: NOW - 3600,
    end_time: null,
    duration_seconds: null,
    active_seconds: null,
    last_checkpoint_time: null,
    last_update_time: NOW,
    silent_seconds: 0,
    eta_seconds: null,
    owner: null,
    worker_count: 0,
    workers: [],
    ...fields,
  };
}

function input(r: SummaryRow, more: Partial<ConditionInput> = {}): ConditionInput {
  return {
    now: NOW,
    row: r,
    customMetrics: [],
    progressSince: null,
    windowCounts: () => ({ successful: 0, failed: 0 }),
    earlierRates: [],
    ...more,
  };
}

test('status: holds for the listed display statuses only', () => {
  assert.deepEqual(statusIn(['failed', 'crashed'], input(row({ status: 'crashed' }))), {
    holds: true,
    value: 'crashed',
  });
  assert.deepEqual(statusIn(['failed', 'crashed'], input(row({ status: 'running' }))), {
    holds: false,
    value: 'running',
  });
  assert.equal(
    statusIn(['completed_with_failures'], input(row({ status: 'completed_with_failures' }))).holds,
    true,
  );
});

test('no_progress_for: a live run unchanged for the duration; never a finished one', () => {
  const stalled = input(row(), { progressSince: NOW - 600 });
  assert.deepEqual(noProgressFor(600, stalled), { holds: true, value: 600 });
  assert.equal(noProgressFor(601, stalled).holds, false);
  assert.equal(
    noProgressFor(600, input(row({ status: 'stale' }), { progressSince: NOW - 900 })).holds,
    true,
  );
  assert.equal(
    noProgressFor(600, input(row({ status: 'completed' }), { progressSince: NOW - 900 })).holds,
    false,
  );
  assert.equal(
    noProgressFor(600, input(row({ status: 'crashed' }), { progressSince: NOW - 900 })).holds,
    false,
  );
  assert.equal(noProgressFor(600, input(row(), { progressSince: null })).holds, false);
});

test('no_progress_for over history: dated from the last save, reset when items move', () => {
  const history = new RowHistory();
  const first = row({ items_processed: 5, last_update_time: NOW - 400 });
  history.observe(first, NOW, 0);
  assert.equal(history.progressSince(first), NOW - 400, 'nothing changed after the last save');
  // Saves without progress (checkpoints) do not move the date.
  const checkpoint = row({ items_processed: 5, last_update_time: NOW + 100 });
  history.observe(checkpoint, NOW + 100, 0);
  assert.equal(history.progressSince(checkpoint), NOW - 400);
  assert.equal(
    noProgressFor(
      600,
      input(checkpoint, { now: NOW + 200, progressSince: history.progressSince(checkpoint) }),
    ).holds,
    true,
  );
  const moved = row({ items_processed: 6, last_update_time: NOW + 250 });
  history.observe(moved, NOW + 300, 0);
  assert.equal(history.progressSince(moved), NOW + 250);
  assert.equal(
    noProgressFor(600, input(moved, { now: NOW + 300, progressSince: NOW + 250 })).holds,
    false,
  );
});

test('stale_for: a live run not saved for the duration', () => {
  assert.deepEqual(staleFor(600, input(row({ silent_seconds: 700 }))), { holds: true, value: 700 });
  assert.equal(staleFor(600, input(row({ silent_seconds: 599 }))).holds, false);
  assert.equal(staleFor(600, input(row({ status: 'stale', silent_seconds: 601 }))).holds, true);
  assert.equal(staleFor(600, input(row({ status: 'failed', silent_seconds: 9999 }))).holds, false);
  assert.equal(staleFor(600, input(row({ silent_seconds: null }))).holds, false);
});

test('error_rate_percent overall: strictly above, after min_attempted', () => {
  const r = row({ items_successful: 95, items_failed: 5 });
  const cond = (above: number, min = 1) => ({ above, window_seconds: null, min_attempted: min });
  assert.deepEqual(errorRateAbove(cond(4.99), input(r)), { holds: true, value: 5 });
  assert.equal(errorRateAbove(cond(5), input(r)).holds, false);
  assert.equal(errorRateAbove(cond(1, 101), input(r)).holds, false);
  assert.equal(errorRateAbove(cond(0), input(row())).holds, false, 'nothing attempted');
});

test('error_rate_percent over a window: only the failures inside it count', () => {
  const history = new RowHistory();
  const old = row({ items_successful: 0, items_failed: 50, start_time: NOW - 7200 });
  history.observe(old, NOW, 600);
  const later = row({ items_successful: 100, items_failed: 52, start_time: NOW - 7200 });
  history.observe(later, NOW + 700, 600);
  const counts = history.windowCounts(later, 600, NOW + 700);
  assert.deepEqual(counts, { successful: 100, failed: 2 });
  const cond = { above: 5, window_seconds: 600, min_attempted: 1 };
  const judged = errorRateAbove(cond, input(later, { windowCounts: () => counts }));
  assert.equal(
    judged.holds,
    false,
    `overall ${later.items_failed}/152 is high but the window has 2/102`,
  );
  assert.equal(errorRateAbove({ ...cond, window_seconds: null }, input(later)).holds, true);
  // A run that started inside the window counts from zero.
  const young = row({ items_successful: 1, items_failed: 9, start_time: NOW - 60 });
  const fresh = new RowHistory();
  fresh.observe(young, NOW, 600);
  assert.deepEqual(fresh.windowCounts(young, 600, NOW), { successful: 1, failed: 9 });
});

test('error_type_count: more than `above` of that type', () => {
  const r = row({ error_types: { NetworkError: 11, ValueError: 3 } });
  assert.deepEqual(errorTypeCountAbove({ type: 'NetworkError', above: 10 }, input(r)), {
    holds: true,
    value: 11,
  });
  assert.equal(errorTypeCountAbove({ type: 'NetworkError', above: 11 }, input(r)).holds, false);
  assert.deepEqual(errorTypeCountAbove({ type: 'toString', above: 0 }, input(r)), {
    holds: false,
    value: 0,
  });
});

test('rate_below_median_share: below share × median of enough earlier runs, live only', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const slow = row({ rate_per_second: 4.9 });
  const cond = { share: 0.5, min_runs: 3 };
  assert.deepEqual(rateBelowMedianShare(cond, input(slow, { earlierRates: [10, 9, 11] })), {
    holds: true,
    value: 4.9,
  });
  assert.equal(
    rateBelowMedianShare(cond, input(row({ rate_per_second: 5 }), { earlierRates: [10, 9, 11] }))
      .holds,
    false,
  );
  assert.equal(
    rateBelowMedianShare(cond, input(slow, { earlierRates: [10, 9] })).holds,
    false,
    'too few runs',
  );
  assert.equal(
    rateBelowMedianShare(
      cond,
      input(row({ status: 'completed', rate_per_second: 1 }), { earlierRates: [10, 9, 11] }),
    ).holds,
    false,
  );
});

test('eta_after: a live run projected to end after the deadline', () => {
  const deadline = { deadline: NOW + 3600, text: 'x' };
  const late = etaAfter(deadline, input(row({ eta_seconds: 3601 })));
  assert.deepEqual(late, { holds: true, value: new Date((NOW + 3601) * 1000).toISOString() });
  assert.equal(etaAfter(deadline, input(row({ eta_seconds: 3600 }))).holds, false);
  assert.equal(etaAfter(deadline, input(row({ eta_seconds: null }))).holds, false);
  assert.equal(
    etaAfter(deadline, input(row({ status: 'crashed', eta_seconds: 99_999 }))).holds,
    false,
  );
});

test('custom_metric: above, below, equals; absent or another type does not hold; any worker', () => {
  const metrics = [{ queue: 150, storage: 'minio', ok: true }];
  const r = row();
  assert.deepEqual(
    customMetric({ name: 'queue', above: 100 }, input(r, { customMetrics: metrics })),
    { holds: true, value: 150 },
  );
  assert.equal(
    customMetric({ name: 'queue', below: 100 }, input(r, { customMetrics: metrics })).holds,
    false,
  );
  assert.equal(
    customMetric({ name: 'storage', equals: 'minio' }, input(r, { customMetrics: metrics })).holds,
    true,
  );
  assert.equal(
    customMetric({ name: 'ok', equals: true }, input(r, { customMetrics: metrics })).holds,
    true,
  );
  assert.equal(
    customMetric({ name: 'storage', above: 1 }, input(r, { customMetrics: metrics })).holds,
    false,
  );
  assert.equal(
    customMetric({ name: 'missing', equals: 1 }, input(r, { customMetrics: metrics })).holds,
    false,
  );
  const workers = [{ queue: 1 }, { queue: 500 }];
  assert.deepEqual(
    customMetric({ name: 'queue', above: 100 }, input(r, { customMetrics: workers })),
    { holds: true, value: 500 },
  );
});

test("several conditions: all must hold; the value is the first one's", () => {
  const r = row({ items_successful: 50, items_failed: 50, error_types: { E: 50 } });
  const both = {
    error_rate_percent: { above: 10, window_seconds: null, min_attempted: 1 },
    error_type_count: { type: 'E', above: 10 },
  };
  assert.deepEqual(evaluateConditions(both, input(r)), { holds: true, value: 50 });
  assert.equal(evaluateConditions({ ...both, status: ['failed'] }, input(r)).holds, false);
  assert.equal(evaluateConditions({}, input(r)).holds, false);
});

test.run();
