import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_RUNS,
  median,
  type Row,
  ratioRow,
  rowFromRuns,
  runOrder,
  runsFor,
  runsMeeting,
  spreadOf,
  statsFromRuns,
} from '../src/index.js';

const test = suite('ratios over runs');

test('median takes the middle value, or the mean of the middle two', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('stats of runs: the median of the run medians, p99 and count over every sample', () => {
  const stats = statsFromRuns([
    [10, 11, 12],
    [20, 21, 22],
    [30, 31, 1000],
  ]);
  assert.equal(stats.runsNs, [11, 21, 31]);
  assert.is(stats.medianNs, 21);
  assert.is(stats.samples, 9);
  assert.is(stats.p99Ns, 1000);
});

test('a row from runs: one ratio per run, the row ratio their median, min and max kept', () => {
  const row = rowFromRuns('op', 'floor', [
    { candidate: [10, 10, 10], baseline: [10, 10, 10] }, // 1.0
    { candidate: [30, 30, 30], baseline: [20, 20, 20] }, // 1.5
    { candidate: [12, 12, 12], baseline: [10, 10, 10] }, // 1.2
  ]);
  assert.equal(row.ratios?.runs, [1, 1.5, 1.2]);
  assert.is(row.ratios?.min, 1);
  assert.is(row.ratios?.max, 1.5);
  assert.is(row.ratios?.median, 1.2);
  assert.is(row.ratio, 1.2);
  assert.is(row.baselineName, 'floor');
  assert.equal(row.candidate.runsNs, [10, 30, 12]);
  assert.equal(row.baseline?.runsNs, [10, 20, 10]);
  assert.is(row.target, undefined);
  assert.is(row.met, undefined);
});

test('a target is met only if every run met it, though the median ratio meets it', () => {
  const runs = [1.0, 1.05, 1.1, 1.08, 1.25].map((r) => ({
    candidate: [r * 100, r * 100, r * 100],
    baseline: [100, 100, 100],
  }));
  const missed = rowFromRuns('save', 'bare', runs, { maxRatio: 1.2 });
  assert.ok((missed.ratio as number) <= 1.2, 'the median alone would pass');
  assert.is(missed.met, false);
  assert.is(missed.target, '<= 1.2x');
  assert.equal(runsMeeting(missed), { met: 4, of: 5 });

  const met = rowFromRuns('save', 'bare', runs.slice(0, 4), { maxRatio: 1.2 });
  assert.is(met.met, true);
  assert.equal(runsMeeting(met), { met: 4, of: 4 });
});

test('a target is met when a run lands exactly on it, and never against a zero baseline', () => {
  const exact = rowFromRuns('x', 'y', [{ candidate: [2], baseline: [1] }], { maxRatio: 2 });
  assert.is(exact.met, true);
  const zero = rowFromRuns('x', 'y', [{ candidate: [2], baseline: [0] }], { maxRatio: 2 });
  assert.is(zero.met, false);
});

test('ratioRow pairs the run medians of two measured rows and gives the spread', () => {
  const a: Row = { name: 'api', candidate: statsFromRuns([[30], [33], [60]]) };
  const b: Row = { name: 'floor', candidate: statsFromRuns([[10], [11], [20]]) };
  const row = ratioRow('api vs floor', a, b, 3);
  assert.equal(row.ratios?.runs, [3, 3, 3]);
  assert.is(row.ratio, 3);
  assert.is(row.baselineName, 'floor');
  assert.is(row.met, true);
  const worse = ratioRow(
    'api vs floor',
    { name: 'api', candidate: statsFromRuns([[31], [33], [60]]) },
    b,
    3,
  );
  assert.is(worse.met, false, 'one run at 3.1x misses');
});

test('ratioRow of rows without run medians keeps the plain ratio of medians', () => {
  const a: Row = { name: 'a', candidate: { medianNs: 30, p99Ns: 40, samples: 5 } };
  const b: Row = { name: 'b', candidate: { medianNs: 20, p99Ns: 25, samples: 5 } };
  const row = ratioRow('a vs b', a, b, 1.4);
  assert.is(row.ratio, 1.5);
  assert.is(row.ratios, undefined);
  assert.is(row.met, false);
});

test('the order of contenders is reversed from one run to the next', () => {
  assert.equal(runOrder(['c', 'b1', 'b2'], 0), ['c', 'b1', 'b2']);
  assert.equal(runOrder(['c', 'b1', 'b2'], 1), ['b2', 'b1', 'c']);
  assert.equal(runOrder(['c', 'b1', 'b2'], 2), ['c', 'b1', 'b2']);
});

test('runs: 5 by default, the benchmark may ask for others, BENCH_RUNS overrides both', () => {
  const saved = process.env.BENCH_RUNS;
  try {
    delete process.env.BENCH_RUNS;
    assert.is(runsFor(undefined), DEFAULT_RUNS);
    assert.is(DEFAULT_RUNS, 5);
    assert.is(runsFor(3), 3);
    process.env.BENCH_RUNS = '2';
    assert.is(runsFor(undefined), 2);
    assert.is(runsFor(7), 2);
    process.env.BENCH_RUNS = 'many';
    assert.is(runsFor(undefined), 5, 'a malformed BENCH_RUNS is ignored');
  } finally {
    if (saved === undefined) delete process.env.BENCH_RUNS;
    else process.env.BENCH_RUNS = saved;
  }
});

test('spreadOf keeps the runs in order', () => {
  assert.equal(spreadOf([3, 1, 2]), { min: 1, median: 2, max: 3, runs: [3, 1, 2] });
});

test.run();
