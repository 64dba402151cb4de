import { createManualClock, ProcessSummary } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type SummaryRow, summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';
import {
  flattenWorkers,
  groupWorkers,
  mergeWorkers,
  mostUrgentStatus,
  STATUS_URGENCY,
} from '../src/workers.js';
import { dictOf, ownerStatus, readOf, T0, throwsCode } from './_helpers.js';

interface WorkerPlan {
  worker: string;
  startAfter?: number;
  processed: number;
  failed?: number;
  total?: number;
  errors?: [string, number][];
  end?: 'completed' | 'failed';
  owner?: 'alive' | 'dead';
  runFor: number;
}

/** A worker's row built from a real summary on a manual clock. */
function workerRow(plan: WorkerPlan, now: number): SummaryRow {
  const clock = createManualClock(T0);
  clock.advance(plan.startAfter ?? 0);
  const s = new ProcessSummary({
    runName: 'r',
    processName: 'collect',
    worker: plan.worker,
    clock,
  });
  s.startProcess();
  if (plan.total !== undefined) s.setItemsTotal(plan.total);
  clock.advance(plan.runFor);
  const failed = plan.failed ?? 0;
  s.incrementItems({ processed: plan.processed, successful: plan.processed - failed, failed });
  for (const [type, count] of plan.errors ?? []) {
    for (let i = 0; i < count; i++) s.addError(type, `${type} ${i}`);
  }
  if (plan.end !== undefined) s.endProcess({ outcome: plan.end });
  const read = readOf(dictOf(s));
  const owner = plan.owner === undefined ? null : ownerStatus(plan.owner);
  return summaryRow(read, judgeStatus(read, owner, { now }));
}

const NOW = T0 + 100;

test('counters are summed and errors merged by type', () => {
  const merged = mergeWorkers([
    workerRow(
      { worker: 'w1', processed: 10, failed: 2, errors: [['Net', 2]], runFor: 10, owner: 'alive' },
      NOW,
    ),
    workerRow(
      {
        worker: 'w2',
        processed: 20,
        failed: 1,
        errors: [
          ['Net', 1],
          ['Parse', 3],
        ],
        runFor: 10,
        owner: 'alive',
      },
      NOW,
    ),
  ]);
  assert.is(merged.items_processed, 30);
  assert.is(merged.items_failed, 3);
  assert.is(merged.items_successful, 27);
  assert.equal(merged.error_types, { Net: 3, Parse: 3 });
  assert.is(merged.error_count, 6);
  assert.is(merged.error_rate_percent, 10);
  assert.is(merged.worker, null);
  assert.is(merged.worker_count, 2);
});

test('earliest start and latest end; no end while a worker runs', () => {
  const a = workerRow(
    { worker: 'a', startAfter: 0, processed: 1, runFor: 10, end: 'completed' },
    NOW,
  );
  const b = workerRow(
    { worker: 'b', startAfter: 5, processed: 1, runFor: 30, end: 'completed' },
    NOW,
  );
  const ended = mergeWorkers([b, a]);
  assert.is(ended.start_time, T0);
  assert.is(ended.end_time, T0 + 35);
  assert.is(ended.duration_seconds, 35);
  const c = workerRow(
    { worker: 'c', startAfter: 2, processed: 1, runFor: 50, owner: 'alive' },
    NOW,
  );
  const running = mergeWorkers([a, b, c]);
  assert.is(running.end_time, null);
  assert.is(running.duration_seconds, null);
  // 3 items over the 52 s from the first start to the running worker's latest save.
  assert.is(running.processing_rate_per_second, 0.06);
});

test('status is the most urgent of the workers, with the reasons of those workers', () => {
  const done = workerRow({ worker: 'w1', processed: 5, runFor: 5, end: 'completed' }, NOW);
  const live = workerRow({ worker: 'w2', processed: 5, runFor: 5, owner: 'alive' }, NOW);
  const dead = workerRow({ worker: 'w3', processed: 5, runFor: 5, owner: 'dead' }, NOW);
  assert.is(mergeWorkers([done, live]).status, 'running');
  const merged = mergeWorkers([done, live, dead]);
  assert.is(merged.status, 'crashed');
  assert.is(merged.status_reason, 'w3: owner dead');
  assert.is(mostUrgentStatus(['completed', 'completed_with_failures']), 'completed_with_failures');
  assert.is(STATUS_URGENCY.length, 7);
});

test('the rate is the sum of the running workers; ETA against the summed items_total', () => {
  const live1 = workerRow(
    { worker: 'w1', processed: 100, total: 500, runFor: 10, owner: 'alive' },
    NOW,
  );
  const live2 = workerRow(
    { worker: 'w2', processed: 50, total: 500, runFor: 10, owner: 'alive' },
    NOW,
  );
  const dead = workerRow(
    { worker: 'w3', processed: 300, total: 500, runFor: 10, owner: 'dead' },
    NOW,
  );
  assert.is(live1.current_rate_per_second, 10);
  assert.is(live2.current_rate_per_second, 5);
  assert.is(dead.current_rate_per_second, null);
  const merged = mergeWorkers([live1, live2, dead]);
  assert.is(merged.current_rate_per_second, 15);
  assert.is(merged.items_total, 1500);
  // (1500 - 450) items at 15/s.
  assert.is(merged.eta_seconds, 70);
});

test('no running worker: no current rate and no ETA', () => {
  const dead = workerRow(
    { worker: 'w1', processed: 10, total: 100, runFor: 10, owner: 'dead' },
    NOW,
  );
  const done = workerRow(
    { worker: 'w2', processed: 10, total: 100, runFor: 10, end: 'completed' },
    NOW,
  );
  const merged = mergeWorkers([dead, done]);
  assert.is(merged.current_rate_per_second, null);
  assert.is(merged.eta_seconds, null);
  assert.is(merged.rate_per_second, merged.processing_rate_per_second);
});

test('a worker without items_total leaves the merged total unknown', () => {
  const a = workerRow({ worker: 'w1', processed: 1, total: 10, runFor: 1, owner: 'alive' }, NOW);
  const b = workerRow({ worker: 'w2', processed: 1, runFor: 1, owner: 'alive' }, NOW);
  assert.is(mergeWorkers([a, b]).items_total, null);
  assert.is(mergeWorkers([a, b]).eta_seconds, null);
});

test('grouping merges only processes with workers and keeps the breakdown; flattening undoes it', () => {
  const plainClock = createManualClock(T0);
  const plain = new ProcessSummary({ runName: 'r', processName: 'sync', clock: plainClock });
  plain.startProcess();
  const plainRead = readOf(dictOf(plain));
  const plainRow = summaryRow(plainRead, judgeStatus(plainRead, null, { now: T0 }));
  const w1 = workerRow({ worker: 'w1', processed: 1, runFor: 1, end: 'completed' }, NOW);
  const w2 = workerRow({ worker: 'w2', processed: 2, runFor: 1, end: 'completed' }, NOW);
  const grouped = groupWorkers([w1, w2, plainRow]);
  assert.equal(
    grouped.map((r) => [r.process_name, r.worker_count]),
    [
      ['collect', 2],
      ['sync', 0],
    ],
  );
  assert.equal(
    grouped[0]?.workers.map((w) => w.worker),
    ['w1', 'w2'],
  );
  assert.equal(flattenWorkers(grouped), [w1, w2, plainRow]);
});

test('merging rows of different processes is refused with a coded error', () => {
  const a = workerRow({ worker: 'w1', processed: 1, runFor: 1 }, NOW);
  const b = { ...a, process_name: 'other' };
  throwsCode(() => mergeWorkers([a, b]), 'E_INVALID_ARGUMENT');
  throwsCode(() => mergeWorkers([]), 'E_INVALID_ARGUMENT');
});

test.run();
