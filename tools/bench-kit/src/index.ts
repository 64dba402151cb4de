/**
 * Side-by-side benchmarks: a candidate and its baseline run in the same process, so a noisy
 * shared machine slows both alike and their ratio stays meaningful. Results go to
 * `bench-results/*.json` at the repo root; `scripts/bench-report.mjs` prints them, and writes
 * `docs/benchmarks.md` and the README's highlights only when given `--write`.
 *
 * How a comparison holds still:
 * - Every contender is timed by a loop compiled for it alone (`new Function`, as mitata does),
 *   so the call inside the loop has one target and V8 keeps feedback for that contender only.
 *   The old kit sent every contender of every benchmark through one closure's call site: that
 *   site went megamorphic and ratios of micro-benchmarks swung 0.75–5.6× between runs.
 * - A comparison is repeated over several runs (5 by default; `BENCH_RUNS` overrides it for a
 *   quick look). In a run each contender takes its samples in a block of its own, and the order
 *   of the blocks is reversed from one run to the next. A run's ratio is the candidate's median
 *   over the baseline's median in that run; a row reports the median of those ratios and their
 *   min and max, and a target is met only if every run met it.
 *
 * Why hand-written rather than mitata (1.0.34) or tinybench (6.x, Node >= 20): both run on
 * Node 20, and mitata's per-benchmark compiled loop is the technique used here. But both time
 * one benchmark to completion before starting the next and report each on its own (mitata's
 * summary is relative to the fastest of one pass): neither alternates contenders within a
 * process over several runs, which is what keeps a ratio of two I/O-bound contenders (fsync,
 * spawned processes, a database) honest on a shared 2-core machine, and neither gives a ratio's
 * spread over runs or a target checked in every run. Those are the parts this kit is for; the
 * sampling loop is small enough to keep here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Stats {
  /**
   * Per-operation time, in nanoseconds: over several runs, the median of the runs' medians
   * (a noisy run moves it no more than it moves the ratio).
   */
  medianNs: number;
  /** Over all samples of all runs. */
  p99Ns: number;
  samples: number;
  /** Each run's median, in run order, when measured over runs. */
  runsNs?: number[] | undefined;
}

/** How a value varied over runs: its min, median and max, and each run's value in run order. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export interface Row {
  name: string;
  candidate: Stats;
  baseline?: Stats | undefined;
  baselineName?: string | undefined;
  /** candidate / baseline: the median of the runs' ratios when measured over runs. */
  ratio?: number | undefined;
  /** The ratio run by run (each run's candidate median over its baseline median). */
  ratios?: Spread | undefined;
  /** The goal, e.g. `<= 2x`; `met` says whether it was met (in every run, when over runs). */
  target?: string | undefined;
  /** The bound behind a `<= Nx` target, so a report can say in how many runs it held. */
  maxRatio?: number | undefined;
  met?: boolean | undefined;
  note?: string | undefined;
}

export interface Report {
  topic: string;
  package: string;
  rows: Row[];
}

type Op = () => unknown;
type AsyncOp = () => Promise<unknown>;

/** Runs of a comparison when neither the benchmark nor `BENCH_RUNS` says otherwise. */
export const DEFAULT_RUNS = 5;
const MIN_SYNC_SAMPLES_PER_RUN = 5;
const MIN_ASYNC_SAMPLES_PER_RUN = 3;

/** `BENCH_RUNS` if set (a quick look while developing), else the benchmark's own, else 5. */
export function runsFor(requested: number | undefined): number {
  const env = Number(process.env.BENCH_RUNS);
  if (Number.isInteger(env) && env >= 1) return env;
  return requested !== undefined && requested >= 1 ? Math.floor(requested) : DEFAULT_RUNS;
}

/** The median (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function spreadOf(values: readonly number[]): Spread {
  return {
    min: Math.min(...values),
    median: median(values),
    max: Math.max(...values),
    runs: [...values],
  };
}

/** Stats of samples (ns per call) grouped by run: medians of the runs, tail over all. */
export function statsFromRuns(runs: readonly (readonly number[])[]): Stats {
  const all = runs.flat().sort((a, b) => a - b);
  const runsNs = runs.map((samples) => median(samples));
  const p99 = all[Math.min(all.length - 1, Math.floor(0.99 * all.length))] ?? 0;
  return {
    medianNs: all.length === 0 ? 0 : median(runsNs),
    p99Ns: p99,
    samples: all.length,
    runsNs,
  };
}

/**
 * A row from run medians already taken: one ratio per run, the row's ratio their median, and
 * the target met only if no run missed it.
 */
function rowFromStats(
  name: string,
  candidate: Stats,
  baselineName: string,
  baseline: Stats,
  target: { maxRatio: number } | undefined,
): Row {
  const c = candidate.runsNs;
  const b = baseline.runsNs;
  const perRun =
    c !== undefined && b !== undefined && c.length > 0 && c.length === b.length
      ? c.map((ns, i) => ((b[i] as number) > 0 ? ns / (b[i] as number) : Number.NaN))
      : undefined;
  const ratios = perRun === undefined ? undefined : spreadOf(perRun);
  const ratio =
    ratios?.median ?? (baseline.medianNs > 0 ? candidate.medianNs / baseline.medianNs : Number.NaN);
  const worst = ratios === undefined ? ratio : Math.max(...ratios.runs);
  return {
    name,
    candidate,
    baseline,
    baselineName,
    ratio,
    ...(ratios === undefined ? {} : { ratios }),
    target: target ? `<= ${target.maxRatio}x` : undefined,
    ...(target ? { maxRatio: target.maxRatio } : {}),
    // NaN (a zero baseline) never meets a target.
    met: target ? worst <= target.maxRatio : undefined,
  };
}

/**
 * A comparison row from raw samples (ns per call) grouped by run: `runs[r].candidate` and
 * `runs[r].baseline` are run r's samples. What compareSync and compareAsync report; exported
 * for benchmarks that take their own samples.
 */
export function rowFromRuns(
  name: string,
  baselineName: string,
  runs: readonly { candidate: readonly number[]; baseline: readonly number[] }[],
  target?: { maxRatio: number },
): Row {
  return rowFromStats(
    name,
    statsFromRuns(runs.map((r) => r.candidate)),
    baselineName,
    statsFromRuns(runs.map((r) => r.baseline)),
    target,
  );
}

// Results of benchmarked calls land here so the JIT cannot prove them unused.
const sink: { value: unknown } = { value: undefined };
export function blackhole(value: unknown): void {
  sink.value = value;
}
export function sinkValue(): unknown {
  return sink.value;
}

/** Times `batch` calls; returns ns per call. */
export type SyncSampler = (batch: number) => number;
/** Times `count` calls one by one; appends each call's ns to `out`. */
export type AsyncSampler = (count: number, out: number[]) => Promise<void>;

const now = (): bigint => process.hrtime.bigint();

/**
 * A timing loop for `op` alone. Compiled from source on every call, so each contender's loop
 * is a function of its own with its own feedback: the call `op()` in it sees one target and
 * V8 may inline it, as in a user's own hot loop, instead of one shared call site seeing every
 * contender.
 */
export function syncSampler(op: Op): SyncSampler {
  return new Function(
    'op',
    'now',
    'sink',
    `return function sample(batch) {
      const start = now();
      for (let i = 0; i < batch; i++) sink.value = op();
      return Number(now() - start) / batch;
    };`,
  )(op, now, sink) as SyncSampler;
}

/** As {@link syncSampler}, for an async op: one call per sample, awaited. */
export function asyncSampler(op: AsyncOp): AsyncSampler {
  return new Function(
    'op',
    'now',
    'sink',
    `return async function sample(count, out) {
      for (let i = 0; i < count; i++) {
        const start = now();
        sink.value = await op();
        out.push(Number(now() - start));
      }
    };`,
  )(op, now, sink) as AsyncSampler;
}

/**
 * The order of contenders in run `run`: as given in even runs, reversed in odd ones, so every
 * pair of contenders runs in each order about as often.
 */
export function runOrder<T>(contenders: readonly T[], run: number): T[] {
  return run % 2 === 0 ? [...contenders] : [...contenders].reverse();
}

const WARM_UP_NS = 250e6;
const WARM_UP_MAX_NS = 2e9;
const WARM_UP_WINDOW = 10;

/**
 * Runs a contender in its own loop until it holds still: at least 20 samples and 250 ms, then
 * windows of 10 samples until a window's median is within 10% of the one before (the JIT has
 * settled, and so has the heap: an op that allocates runs slow until V8 has grown its young
 * generation). It stops at 5 × `rounds` samples or 2 s whatever happens, so an op that grows
 * state (an unbounded list) is not grown without bound before it is measured.
 */
function warmUp(sample: SyncSampler, batch: number, rounds: number): number {
  const max = Math.max(20, 5 * rounds);
  let spent = 0;
  let taken = 0;
  let previous = Number.NaN;
  while (taken < max && spent < WARM_UP_MAX_NS) {
    const window: number[] = [];
    for (let i = 0; i < WARM_UP_WINDOW; i++) {
      const ns = sample(batch);
      window.push(ns);
      spent += ns * batch;
    }
    taken += WARM_UP_WINDOW;
    const current = median(window);
    const steady = Math.abs(current - previous) <= 0.1 * previous;
    if (taken >= 20 && spent >= WARM_UP_NS && steady) break;
    previous = current;
  }
  return taken;
}

export interface CompareOptions {
  name: string;
  candidate: Op;
  baseline: Op;
  baselineName: string;
  /** Calls per sample (micro-benchmarks need many). */
  batch?: number;
  /** Samples per contender over the benchmark's runs (split evenly across them). */
  rounds?: number;
  /** Runs (default 5; `BENCH_RUNS` overrides). */
  runs?: number;
  target?: { maxRatio: number };
  /**
   * Take a run's samples in turns, one of each contender at a time (the order reversed from
   * turn to turn), instead of in blocks: for samples of milliseconds, where a block lasts long
   * enough for a shared machine's drift to fall on one contender only. Each keeps its own
   * timing loop either way.
   */
  interleave?: boolean;
}

/**
 * Times candidate and baseline, each in its own compiled loop, over several runs; in each run
 * each takes `rounds / runs` samples of `batch` calls in a block of its own, the order of the
 * blocks reversed from run to run (or, `interleave`, in turns).
 */
export function compareSync(options: CompareOptions): Row {
  const { batch = 10_000, rounds = 200 } = options;
  const runs = runsFor(options.runs);
  const perRun = Math.max(
    MIN_SYNC_SAMPLES_PER_RUN,
    Math.ceil(rounds / (options.runs ?? DEFAULT_RUNS)),
  );
  const contenders = [
    { key: 'candidate' as const, sample: syncSampler(options.candidate) },
    { key: 'baseline' as const, sample: syncSampler(options.baseline) },
  ];
  for (const { sample } of contenders) warmUp(sample, batch, rounds);
  const samples: { candidate: number[]; baseline: number[] }[] = [];
  for (let run = 0; run < runs; run++) {
    const taken = { candidate: [] as number[], baseline: [] as number[] };
    if (options.interleave === true) {
      for (let turn = 0; turn < perRun; turn++) {
        for (const { key, sample } of runOrder(contenders, run + turn)) {
          taken[key].push(sample(batch));
        }
      }
    } else {
      for (const { key, sample } of runOrder(contenders, run)) {
        sample(batch); // the first sample of a block pays for the other contender's caches
        for (let i = 0; i < perRun; i++) taken[key].push(sample(batch));
      }
    }
    samples.push(taken);
  }
  return rowFromRuns(options.name, options.baselineName, samples, options.target);
}

export interface CompareAsyncOptions {
  name: string;
  candidate: AsyncOp;
  baselines: Record<string, AsyncOp>;
  /** Samples (one call each) per contender over the benchmark's runs (split across them). */
  rounds?: number;
  /** Runs (default 5; `BENCH_RUNS` overrides). */
  runs?: number;
  /** Per baseline name: the candidate's median must be at most maxRatio × that baseline's. */
  targets?: Record<string, number>;
  /**
   * Take a run's samples in turns, one of each contender at a time (the order reversed from
   * turn to turn), instead of in blocks: for samples of milliseconds of I/O or a spawned
   * program, where what one contender leaves in the CPU's caches does not matter, so that the
   * machine's drift within a run (on a shared VM, 10–30% over a minute) falls on all alike.
   * Each contender keeps its own timing loop either way.
   */
  interleave?: boolean;
}

/**
 * Async ops (I/O): one call per sample. Over several runs, each contender takes its samples in
 * a block of its own, the order of the blocks reversed from run to run (or, `interleave`, in
 * turns); one row per baseline.
 */
export async function compareAsync(options: CompareAsyncOptions): Promise<Row[]> {
  const { rounds = 200 } = options;
  const runs = runsFor(options.runs);
  const perRun = Math.max(
    MIN_ASYNC_SAMPLES_PER_RUN,
    Math.ceil(rounds / (options.runs ?? DEFAULT_RUNS)),
  );
  const names = Object.keys(options.baselines);
  const contenders = [
    { key: 'candidate', sample: asyncSampler(options.candidate) },
    ...names.map((n) => ({ key: n, sample: asyncSampler(options.baselines[n] as AsyncOp) })),
  ];
  for (const { sample } of contenders) await sample(Math.min(20, perRun), []);
  // byRun.get(key)[run] = that contender's samples in that run.
  const byRun = new Map<string, number[][]>(contenders.map(({ key }) => [key, []]));
  for (let run = 0; run < runs; run++) {
    const taken = new Map<string, number[]>(contenders.map(({ key }) => [key, []]));
    if (options.interleave === true) {
      for (let turn = 0; turn < perRun; turn++) {
        for (const { key, sample } of runOrder(contenders, run + turn)) {
          await sample(1, taken.get(key) as number[]);
        }
      }
    } else {
      for (const { key, sample } of runOrder(contenders, run)) {
        await sample(perRun, taken.get(key) as number[]);
      }
    }
    for (const [key, out] of taken) byRun.get(key)?.push(out);
  }
  const candidate = statsFromRuns(byRun.get('candidate') ?? []);
  return names.map((n) => {
    const max = options.targets?.[n];
    return rowFromStats(
      `${options.name} vs ${n}`,
      candidate,
      n,
      statsFromRuns(byRun.get(n) ?? []),
      max === undefined ? undefined : { maxRatio: max },
    );
  });
}

/**
 * Times one op alone (for rows whose baseline is another row of the same report), over runs:
 * its Stats carry each run's median, which the report shows as the spread.
 */
export function measureSync(
  name: string,
  op: Op,
  batch = 1000,
  rounds = 100,
  options: { runs?: number } = {},
): Row {
  const runs = runsFor(options.runs);
  const perRun = Math.max(
    MIN_SYNC_SAMPLES_PER_RUN,
    Math.ceil(rounds / (options.runs ?? DEFAULT_RUNS)),
  );
  const sample = syncSampler(op);
  warmUp(sample, batch, rounds);
  const samples: number[][] = [];
  for (let run = 0; run < runs; run++) {
    const taken: number[] = [];
    for (let i = 0; i < perRun; i++) taken.push(sample(batch));
    samples.push(taken);
  }
  return { name, candidate: statsFromRuns(samples) };
}

/**
 * A row comparing two measured rows of the same report: `candidate` against `baseline`. When
 * both carry run medians over the same number of runs, run i is compared with run i and the
 * row gets a spread, its ratio the median of those, its target met only if every run met it.
 * Run i of two rows measured one after the other did not run side by side: such a spread is
 * only as good as the machine was steady between them.
 */
export function ratioRow(name: string, candidate: Row, baseline: Row, maxRatio?: number): Row {
  return rowFromStats(
    name,
    candidate.candidate,
    baseline.name,
    baseline.candidate,
    maxRatio === undefined ? undefined : { maxRatio },
  );
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where results go: `BENCH_ROOT` (tests point it at a temporary directory), else the repo. */
function benchRoot(): string {
  return process.env.BENCH_ROOT || repoRoot;
}

/** "1.02x (5 runs 0.98–1.07x)", or the ratio alone without runs. */
function ratioText(r: Row): string {
  if (r.ratio === undefined) return '';
  const spread = r.ratios;
  if (spread === undefined || spread.runs.length < 2) return `ratio ${formatRatio(r.ratio)}x`;
  return `ratio ${formatRatio(r.ratio)}x (${spread.runs.length} runs ${formatRatio(spread.min)}–${formatRatio(spread.max)}x)`;
}

/** In how many of its runs a row's ratio met its `<= Nx` target, when it has runs and one. */
export function runsMeeting(r: Row): { met: number; of: number } | undefined {
  const runs = r.ratios?.runs;
  if (runs === undefined || runs.length < 2 || r.maxRatio === undefined) return undefined;
  const max = r.maxRatio;
  return { met: runs.filter((x) => x <= max).length, of: runs.length };
}

/** One console line per row: what the report will show, without times for rows that are counts. */
export function formatRow(topic: string, r: Row): string {
  const parts: string[] = [];
  if (r.candidate.samples > 0) {
    const runs = r.candidate.runsNs;
    const spread =
      r.ratio === undefined && runs !== undefined && runs.length > 1
        ? ` (${runs.length} runs ${formatNs(Math.min(...runs))}–${formatNs(Math.max(...runs))})`
        : '';
    parts.push(`median ${formatNs(r.candidate.medianNs)}${spread}`);
  }
  if (r.baseline !== undefined && r.baseline.samples > 0) {
    parts.push(`${r.baselineName ?? 'baseline'} ${formatNs(r.baseline.medianNs)}`);
  }
  if (r.ratio !== undefined) parts.push(ratioText(r));
  if (r.note !== undefined && (r.candidate.samples === 0 || r.ratio === undefined)) {
    parts.push(r.note);
  }
  let line = `${topic} | ${r.name}: ${parts.join(', ')}`;
  if (r.target !== undefined) {
    const held = runsMeeting(r);
    // "MISSED, met in 1/5 runs": the count is of the runs that met it, either way.
    const inRuns = held === undefined ? '' : ` in ${held.met}/${held.of} runs`;
    line += ` (target ${r.target}: ${r.met ? `met${inRuns}` : `MISSED${inRuns ? `, met${inRuns}` : ''}`})`;
  }
  return line;
}

/** Writes `bench-results/<package>-<topic>.json` and prints one line per row. */
export function writeReport(report: Report): void {
  const dir = join(benchRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.package.replace(/[@/]/g, '_')}-${report.topic}.json`);
  const meta = {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify({ ...report, meta }, null, 2)}\n`);
  for (const r of report.rows) console.log(formatRow(report.topic, r));
}

/** Two decimals, or two significant digits below 0.1 (a 0.0022× ratio is not "0.00×"). */
export function formatRatio(ratio: number): string {
  return Math.abs(ratio) >= 0.1 || ratio === 0 || !Number.isFinite(ratio)
    ? ratio.toFixed(2)
    : ratio.toPrecision(2);
}

export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

/**
 * Runs every `*.bench.ts` in `dir` (or those whose names start with one of `only`), one after
 * another; each exports `run(): Promise<void>` and writes its report with {@link writeReport}.
 */
export async function runBenchFolder(dir: string, only: string[] = []): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const { pathToFileURL } = await import('node:url');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
    .sort();
  for (const file of files) {
    console.log(`\n# ${file}`);
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { run(): Promise<void> };
    await module.run();
  }
}
