import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  asyncSampler,
  compareAsync,
  compareSync,
  measureSync,
  sinkValue,
  syncSampler,
} from '../src/index.js';

const test = suite('compare');

/** An op whose cost is a counted busy loop, logging which contender ran. */
function busy(log: string[], name: string, spins: number): () => number {
  return () => {
    let x = 0;
    for (let i = 0; i < spins; i++) x += i;
    log.push(name);
    return x;
  };
}

/** The log as [name, count] segments of consecutive calls by the same contender. */
function segments(log: readonly string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const name of log) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === name) last[1] += 1;
    else out.push([name, 1]);
  }
  return out;
}

function withRuns<T>(runs: string | undefined, body: () => T): T {
  const saved = process.env.BENCH_RUNS;
  if (runs === undefined) delete process.env.BENCH_RUNS;
  else process.env.BENCH_RUNS = runs;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.BENCH_RUNS;
    else process.env.BENCH_RUNS = saved;
  }
}

test('each contender gets a timing loop compiled for it alone', () => {
  const log: string[] = [];
  const a = busy(log, 'a', 10);
  const b = busy(log, 'b', 10);
  const sa = syncSampler(a);
  const sb = syncSampler(b);
  const again = syncSampler(a);
  // Distinct functions, each compiled anew (a second loop for the same op is not shared either).
  assert.ok(sa !== sb && sa !== again && sb !== again);
  sa(3);
  assert.equal(log, ['a', 'a', 'a'], 'a sampler calls its own op and no other');
  sb(2);
  assert.equal(log, ['a', 'a', 'a', 'b', 'b']);
  assert.is(sinkValue(), 45, 'results go to the sink, so the JIT cannot drop the calls');
  const ns = sa(1);
  assert.ok(Number.isFinite(ns) && ns >= 0);
});

test('compareSync: over runs, each contender in its own block, the order reversed each run', () => {
  const log: string[] = [];
  const batch = 7;
  const rounds = 30; // 6 samples a run (split over the default 5 runs), plus one settling a block
  const row = withRuns('4', () =>
    compareSync({
      name: 'busy',
      candidate: busy(log, 'c', 200),
      baseline: busy(log, 'b', 100),
      baselineName: 'half as busy',
      batch,
      rounds,
      target: { maxRatio: 1e9 },
    }),
  );
  const perBlock = (6 + 1) * batch;
  // Warm-up of c, warm-up of b, then runs c b | b c | c b | b c.
  const segs = segments(log);
  assert.equal(
    segs.map(([name]) => name),
    ['c', 'b', 'c', 'b', 'c', 'b', 'c'],
  );
  assert.equal(
    segs.slice(2).map(([, n]) => n),
    [perBlock, 2 * perBlock, 2 * perBlock, 2 * perBlock, perBlock],
  );
  assert.ok((segs[0]?.[1] ?? 0) >= 20 * batch, 'the candidate warmed up in its own loop');
  assert.ok((segs[1]?.[1] ?? 0) >= 20 * batch, 'the baseline warmed up in its own loop');

  assert.is(row.ratios?.runs.length, 4);
  assert.is(row.candidate.runsNs?.length, 4);
  assert.is(row.candidate.samples, 4 * 6);
  assert.is(row.ratio, row.ratios?.median);
  const { min, median, max } = row.ratios ?? { min: 0, median: 0, max: 0 };
  assert.ok(min <= median && median <= max);
  assert.is(row.met, true);
  assert.is(row.target, '<= 1000000000x');
});

test('compareAsync: blocks per contender, reversed each run, one row per baseline', async () => {
  const log: string[] = [];
  const op = (name: string) => async () => {
    log.push(name);
    await new Promise<void>((resolve) => setImmediate(resolve));
    return name;
  };
  const saved = process.env.BENCH_RUNS;
  process.env.BENCH_RUNS = '3';
  let rows: Awaited<ReturnType<typeof compareAsync>>;
  try {
    rows = await compareAsync({
      name: 'io',
      candidate: op('c'),
      baselines: { x: op('x'), y: op('y') },
      rounds: 20, // 4 a run at the default 5 runs
      targets: { x: 1e9 },
    });
  } finally {
    if (saved === undefined) delete process.env.BENCH_RUNS;
    else process.env.BENCH_RUNS = saved;
  }
  const segs = segments(log);
  // Warm-ups c x y (4 each), then c x y | y x c | c x y: blocks of 4.
  assert.equal(
    segs.map(([name]) => name),
    ['c', 'x', 'y', 'c', 'x', 'y', 'x', 'c', 'x', 'y'],
  );
  assert.equal(
    segs.map(([, n]) => n),
    [4, 4, 4, 4, 4, 8, 4, 8, 4, 4],
  );
  assert.is(rows.length, 2);
  assert.equal(
    rows.map((r) => r.name),
    ['io vs x', 'io vs y'],
  );
  for (const r of rows) {
    assert.is(r.ratios?.runs.length, 3);
    assert.is(r.candidate.samples, 12);
    assert.is(r.ratio, r.ratios?.median);
  }
  assert.is(rows[0]?.met, true);
  assert.is(rows[1]?.met, undefined, 'no target for y');
});

test('compareAsync with interleave: one sample of each contender at a time, order reversed each turn', async () => {
  const log: string[] = [];
  const op = (name: string, cost: number) => async () => {
    log.push(name);
    // The candidate is slower: its ratio must come out above 1, from samples taken in turns.
    const until = process.hrtime.bigint() + BigInt(cost);
    while (process.hrtime.bigint() < until);
    return name;
  };
  const saved = process.env.BENCH_RUNS;
  process.env.BENCH_RUNS = '2';
  let rows: Awaited<ReturnType<typeof compareAsync>>;
  try {
    rows = await compareAsync({
      name: 'spawned',
      candidate: op('c', 400_000),
      baselines: { x: op('x', 100_000) },
      rounds: 15, // 3 a run at the default 5 runs
      interleave: true,
    });
  } finally {
    if (saved === undefined) delete process.env.BENCH_RUNS;
    else process.env.BENCH_RUNS = saved;
  }
  // Warm-ups c then x (3 each), then turns: run 0 c x | x c | c x, run 1 x c | c x | x c.
  assert.equal(log.slice(0, 6), ['c', 'c', 'c', 'x', 'x', 'x']);
  assert.equal(log.slice(6).join(''), 'cxxccx' + 'xccxxc');
  const [row] = rows;
  assert.is(row?.ratios?.runs.length, 2);
  assert.is(row?.candidate.samples, 6);
  assert.ok((row?.ratio ?? 0) > 1.5, `the slower candidate's ratio: ${row?.ratio}`);
});

test('compareSync with interleave: one sample of each contender at a time, order reversed each turn', () => {
  const log: string[] = [];
  const row = withRuns('2', () =>
    compareSync({
      name: 'flat',
      candidate: busy(log, 'c', 4000),
      baseline: busy(log, 'x', 1000),
      baselineName: 'x',
      batch: 1,
      rounds: 25, // 5 a run at the default 5 runs
      interleave: true,
    }),
  );
  // After the warm-ups, turns of one sample each: run 0 c x | x c | …, run 1 x c | c x | ….
  const turns = log.slice(-20).join('');
  assert.is(turns, 'cxxccxxccx' + 'xccxxccxxc');
  assert.is(row.ratios?.runs.length, 2);
  assert.is(row.candidate.samples, 10);
  assert.ok((row.ratio ?? 0) > 1.5, `the slower candidate's ratio: ${row.ratio}`);
});

test('an async sampler times each call and awaits it', async () => {
  let calls = 0;
  const sample = asyncSampler(async () => {
    calls += 1;
    return calls;
  });
  const out: number[] = [];
  await sample(3, out);
  assert.is(calls, 3);
  assert.is(out.length, 3);
  assert.is(sinkValue(), 3);
});

test('measureSync gives each run its median, the row their median', () => {
  const log: string[] = [];
  const row = withRuns('3', () => measureSync('alone', busy(log, 'a', 50), 5, 15));
  assert.is(row.candidate.runsNs?.length, 3);
  assert.is(row.candidate.samples, 15);
  assert.is(row.ratio, undefined);
  const runs = [...(row.candidate.runsNs ?? [])].sort((x, y) => x - y);
  assert.is(row.candidate.medianNs, runs[1]);
});

test.run();
