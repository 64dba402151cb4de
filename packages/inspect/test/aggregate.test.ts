import { createManualClock, ProcessSummary } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aggregateRows, rateTrend } from '../src/aggregate.js';
import { type SummaryRow, summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';
import { dictOf, readOf, seedFixture, T0, throwsCode } from './_helpers.js';

/** A finished run that started `day` days after T0 and processed `items` in `seconds`. */
function run(
  name: string,
  processName: string,
  day: number,
  items: number,
  seconds: number,
  failed = 0,
): SummaryRow {
  const clock = createManualClock(T0 + day * 86_400);
  const s = new ProcessSummary({ runName: name, processName, clock });
  s.startProcess();
  clock.advance(seconds);
  s.incrementItems({ processed: items, successful: items - failed, failed });
  s.endProcess();
  const read = readOf(dictOf(s));
  return summaryRow(read, judgeStatus(read, null, { now: clock.now() }));
}

test('runs are grouped by process, oldest first, with the rate change from the run before', () => {
  const rows = [
    run('r3', 'collect', 3, 300, 10),
    run('r1', 'collect', 1, 100, 10),
    run('r2', 'collect', 2, 200, 10),
    run('r1', 'sync', 1, 50, 10),
  ];
  const result = aggregateRows(rows);
  assert.equal(
    result.map((p) => p.process_name),
    ['collect', 'sync'],
  );
  const collect = result[0];
  assert.equal(
    collect?.runs.map((r) => [r.run_name, r.rate_per_second, r.rate_change_percent]),
    [
      ['r1', 10, null],
      ['r2', 20, 100],
      ['r3', 30, 50],
    ],
  );
  assert.equal(collect?.totals, {
    runs: 3,
    items_processed: 600,
    items_failed: 0,
    duration_seconds: 30,
    rate_per_second: 20,
    error_rate_percent: 0,
  });
  assert.is(collect?.trend.direction, 'improving');
});

test('filters by process and by date', () => {
  const rows = [
    run('r1', 'collect', 1, 100, 10),
    run('r2', 'collect', 5, 100, 10),
    run('r1', 'sync', 5, 1, 1),
  ];
  const result = aggregateRows(rows, { processName: 'collect', since: T0 + 2 * 86_400 });
  assert.equal(
    result.map((p) => p.runs.map((r) => r.run_name)),
    [['r2']],
  );
});

test('the error rate of the totals is failed over attempted across runs', () => {
  const rows = [run('r1', 'collect', 1, 100, 10, 10), run('r2', 'collect', 2, 100, 10, 30)];
  assert.is(aggregateRows(rows)[0]?.totals.error_rate_percent, 20);
});

test('a seed-format run is placed at its last save, not at a 1970 date', () => {
  const read = readOf(seedFixture('collect'));
  const row = summaryRow(read, judgeStatus(read, null, { now: T0 }));
  const [only] = aggregateRows([row]);
  assert.ok((only?.runs[0]?.date ?? 0) > 1e9);
});

test('the rate trend: steady, declining, unknown with one run or a zero mean', () => {
  assert.is(rateTrend([10, 10, 10.1]).direction, 'steady');
  assert.is(rateTrend([30, 20, 10]).direction, 'declining');
  assert.is(rateTrend([30, 20, 10]).percent_per_run, -50);
  assert.equal(rateTrend([5]), { percent_per_run: null, direction: 'unknown' });
  assert.equal(rateTrend([0, 0]), { percent_per_run: null, direction: 'unknown' });
});

test('a non-finite since is refused with a coded error', () => {
  throwsCode(() => aggregateRows([], { since: Number.NaN }), 'E_INVALID_ARGUMENT');
});

test.run();
