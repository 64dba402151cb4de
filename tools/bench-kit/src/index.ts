/**
 * Side-by-side benchmarks: a candidate and its baseline run in alternating rounds in the same
 * process, so a noisy shared machine slows both alike and their ratio stays meaningful.
 * Results go to `bench-results/*.json` at the repo root; `scripts/bench-report.mjs` turns them
 * into `docs/benchmarks.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Stats {
  /** Per-operation times, in nanoseconds. */
  medianNs: number;
  p99Ns: number;
  samples: number;
}

export interface Row {
  name: string;
  candidate: Stats;
  baseline?: Stats | undefined;
  baselineName?: string | undefined;
  /** candidate median / baseline median. */
  ratio?: number | undefined;
  /** The goal, e.g. `<= 2`; `met` says whether this run met it. */
  target?: string | undefined;
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

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { medianNs: at(0.5), p99Ns: at(0.99), samples: sorted.length };
}

// Results of benchmarked calls land here so the JIT cannot prove them unused.
let sink: unknown;
export function blackhole(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

/** Times `op` over `batch` calls per sample; returns ns per call for each sample. */
function sampleSync(op: Op, batch: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) sink = op();
  return Number(process.hrtime.bigint() - start) / batch;
}

async function sampleAsync(op: AsyncOp): Promise<number> {
  const start = process.hrtime.bigint();
  sink = await op();
  return Number(process.hrtime.bigint() - start);
}

export interface CompareOptions {
  name: string;
  candidate: Op;
  baseline: Op;
  baselineName: string;
  /** Calls per sample (micro-benchmarks need many). */
  batch?: number;
  rounds?: number;
  target?: { maxRatio: number };
}

/** Runs candidate and baseline alternately, `rounds` samples each of `batch` calls. */
export function compareSync(options: CompareOptions): Row {
  const { batch = 10_000, rounds = 200 } = options;
  for (let i = 0; i < 20; i++) {
    sampleSync(options.candidate, batch);
    sampleSync(options.baseline, batch);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(sampleSync(options.candidate, batch));
      b.push(sampleSync(options.baseline, batch));
    } else {
      b.push(sampleSync(options.baseline, batch));
      a.push(sampleSync(options.candidate, batch));
    }
  }
  return row(options.name, stats(a), options.baselineName, stats(b), options.target);
}

export interface CompareAsyncOptions {
  name: string;
  candidate: AsyncOp;
  baselines: Record<string, AsyncOp>;
  rounds?: number;
  /** Per baseline name: the candidate's median must be at most maxRatio × that baseline's. */
  targets?: Record<string, number>;
}

/** Async ops (I/O): one call per sample, all contenders interleaved each round. */
export async function compareAsync(options: CompareAsyncOptions): Promise<Row[]> {
  const { rounds = 200 } = options;
  const names = Object.keys(options.baselines);
  const ops: [string, AsyncOp][] = [
    ['candidate', options.candidate],
    ...names.map((n): [string, AsyncOp] => [n, options.baselines[n] as AsyncOp]),
  ];
  const samples = new Map<string, number[]>(ops.map(([n]) => [n, []]));
  for (let i = 0; i < Math.min(20, rounds); i++) for (const [, op] of ops) await op();
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ops : [...ops].reverse();
    for (const [n, op] of order) samples.get(n)?.push(await sampleAsync(op));
  }
  const candidate = stats(samples.get('candidate') ?? []);
  return names.map((n) => {
    const max = options.targets?.[n];
    return row(
      `${options.name} vs ${n}`,
      candidate,
      n,
      stats(samples.get(n) ?? []),
      max === undefined ? undefined : { maxRatio: max },
    );
  });
}

/** Times one op alone (for rows whose baseline is another row of the same report). */
export function measureSync(name: string, op: Op, batch = 1000, rounds = 100): Row {
  for (let i = 0; i < 10; i++) sampleSync(op, batch);
  const a: number[] = [];
  for (let i = 0; i < rounds; i++) a.push(sampleSync(op, batch));
  return { name, candidate: stats(a) };
}

function row(
  name: string,
  candidate: Stats,
  baselineName: string,
  baseline: Stats,
  target: { maxRatio: number } | undefined,
): Row {
  const ratio = baseline.medianNs > 0 ? candidate.medianNs / baseline.medianNs : Number.NaN;
  return {
    name,
    candidate,
    baseline,
    baselineName,
    ratio,
    target: target ? `<= ${target.maxRatio}x` : undefined,
    met: target ? ratio <= target.maxRatio : undefined,
  };
}

/** A row comparing two measured rows of the same run: `candidate` against `baseline`. */
export function ratioRow(name: string, candidate: Row, baseline: Row, maxRatio?: number): Row {
  return row(
    name,
    candidate.candidate,
    baseline.name,
    baseline.candidate,
    maxRatio === undefined ? undefined : { maxRatio },
  );
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Writes `bench-results/<package>-<topic>.json` and prints a short table. */
export function writeReport(report: Report): void {
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.package.replace(/[@/]/g, '_')}-${report.topic}.json`);
  const meta = {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify({ ...report, meta }, null, 2)}\n`);
  for (const r of report.rows) {
    const ratio = r.ratio === undefined ? '' : ` ratio ${r.ratio.toFixed(2)}x`;
    const target =
      r.target === undefined ? '' : ` (target ${r.target}: ${r.met ? 'met' : 'MISSED'})`;
    console.log(
      `${report.topic} | ${r.name}: median ${formatNs(r.candidate.medianNs)}${ratio}${target}`,
    );
  }
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
