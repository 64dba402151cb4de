/**
 * 32 worker processes, each with a PgSummaryStore of its own and its own ref
 * (`throughput/collect@w-NN`), incrementing and saving every 100 increments as fast as they
 * can, against the same 32 processes doing the bare upsert of the same document as jsonb, one
 * connection each. Beside them, for information, the same upsert with a pg_notify in the same
 * statement (the store notifies watchers in the write's transaction). Each run lasts
 * `sustainedSeconds()` (30 s; BENCH_PG_SECONDS, BENCH_QUICK); the order is bare, notify,
 * store, store, notify, bare, so each contender has 60 s in all and a drift of the machine
 * (autovacuum, checkpoints) weighs on each alike.
 *
 * After every run the totals must be exact: each worker's last acknowledged count is what
 * the store (or the bare table) holds for it, and so is their sum. A miss throws.
 */
import { type Row, type Stats, writeReport } from '@process-summary/bench-kit';
import type { SummaryRef } from '@process-summary/core';
import { PgSummaryStore } from '@process-summary/store-pg';
import pg from 'pg';
import {
  allReady,
  exitAll,
  HANG_LIMIT_MS,
  nextDone,
  runTotals,
  startWorker,
  type WorkerProcess,
} from './_fleet.js';
import { benchServer, dropSchema, freshSchema, percentile, sustainedSeconds } from './_setup.js';

const WORKERS = 32;
const SCHEMA = 'bench_pg_throughput';
const BARE_SCHEMA = 'bench_pg_throughput_bare';
const BARE_TABLE = `${BARE_SCHEMA}.docs`;
const TARGET = 0.7;

type Mode = 'store' | 'bare' | 'notify';
const MODES: Mode[] = ['store', 'bare', 'notify'];
/** Symmetric, so a drift of the machine weighs on every contender alike. */
const ORDER: Mode[] = ['bare', 'notify', 'store', 'store', 'notify', 'bare'];

function latencyStats(sorted: readonly number[]): Stats {
  return {
    medianNs: percentile(sorted, 0.5),
    p99Ns: percentile(sorted, 0.99),
    samples: sorted.length,
  };
}

/** What the store holds for each worker's ref, by worker. */
async function storedByStore(url: string, refs: SummaryRef[]): Promise<Map<string, number>> {
  const reader = new PgSummaryStore({ url, schema: SCHEMA });
  try {
    const reads = await Promise.all(refs.map((ref) => reader.read(ref)));
    return new Map(
      reads.map((read, i) => [
        refs[i]?.worker as string,
        Number((read?.dict as { items_processed?: number } | null)?.items_processed ?? -1),
      ]),
    );
  } finally {
    await reader.close();
  }
}

async function storedByBare(url: string, table: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ worker: string; n: string }>(
      `SELECT worker, doc->>'items_processed' AS n FROM ${table}`,
    );
    return new Map(rows.map((r) => [r.worker, Number(r.n)]));
  } finally {
    await client.end();
  }
}

/** Every worker's last ack against what is stored; throws on the first difference. */
function assertExact(mode: Mode, acks: Map<string, number>, stored: Map<string, number>): number {
  let ackSum = 0;
  let storedSum = 0;
  for (const [worker, ack] of acks) {
    const held = stored.get(worker);
    if (held !== ack) {
      throw new Error(
        `throughput (${mode}): ${worker} acknowledged items_processed ${ack}, the ${mode === 'store' ? 'store' : 'table'} holds ${held}`,
      );
    }
    ackSum += ack;
    storedSum += held;
  }
  if (ackSum !== storedSum) throw new Error(`throughput (${mode}): totals differ`);
  return ackSum;
}

export async function run(): Promise<void> {
  const { url, setup } = await benchServer();
  await dropSchema(url, SCHEMA);
  await freshSchema(url, BARE_SCHEMA);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const table of [BARE_TABLE, `${BARE_TABLE}_notify`]) {
    await admin.query(`CREATE TABLE ${table} (
      run_name text NOT NULL, process_name text NOT NULL, worker text NOT NULL,
      doc jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_name, process_name, worker))`);
  }
  await admin.end();

  const seconds = sustainedSeconds();
  const refs: SummaryRef[] = Array.from({ length: WORKERS }, (_, i) => ({
    runName: 'throughput',
    processName: 'collect',
    worker: `w-${String(i).padStart(2, '0')}`,
  }));
  // All 32 start at once: the store's migrations run once among them.
  const workers: WorkerProcess[] = refs.map((ref) =>
    startWorker({
      url,
      modes: ['store', 'bare', 'notify'],
      schema: SCHEMA,
      bareTable: BARE_TABLE,
      ref: { runName: ref.runName, processName: ref.processName, worker: ref.worker as string },
      staleAfterSeconds: 300,
      renewMs: 30_000,
      announceSaves: false,
      acquireLimitMs: 30_000,
    }),
  );
  try {
    await allReady(workers);
    const perRun: { mode: Mode; perSecond: number; total: number }[] = [];
    const latencies: Record<Mode, number[]> = { store: [], bare: [], notify: [] };
    let goes = 0;
    for (const mode of ORDER) {
      for (const w of workers) w.send(`go ${mode} ${seconds * 1000}`);
      const dones = await Promise.all(
        workers.map((w) => nextDone(w, goes, seconds * 1000 + HANG_LIMIT_MS)),
      );
      goes += 1;
      const totals = runTotals(dones);
      for (const ns of totals.latencies) latencies[mode].push(ns);
      const acks = new Map(workers.map((w) => [w.config.ref.worker, w.lastAck ?? -1]));
      const stored =
        mode === 'store'
          ? await storedByStore(url, refs)
          : await storedByBare(url, mode === 'bare' ? BARE_TABLE : `${BARE_TABLE}_notify`);
      const total = assertExact(mode, acks, stored);
      perRun.push({ mode, perSecond: totals.perSecond, total });
    }
    const rate = (mode: Mode) =>
      perRun.filter((r) => r.mode === mode).reduce((sum, r) => sum + r.perSecond, 0) / 2;
    // Each contender's first run against the other's nearest, and the same for the second.
    const runsOf = (mode: Mode) => perRun.filter((r) => r.mode === mode).map((r) => r.perSecond);
    const pairs = (a: Mode, b: Mode) =>
      runsOf(a).map((perSecond, i) => perSecond / (runsOf(b)[i] ?? Number.NaN));
    for (const mode of MODES) latencies[mode].sort((a, b) => a - b);
    const storeTotals = perRun.filter((r) => r.mode === 'store').map((r) => r.total);
    const vsBare = pairs('store', 'bare');
    const order = ORDER.join(', ');
    const main: Row = {
      name: `${WORKERS} worker processes saving every 100 increments, sustained saves/s: PgSummaryStore.save vs bare jsonb upsert, ${WORKERS} connections`,
      candidate: latencyStats(latencies.store),
      baseline: latencyStats(latencies.bare),
      baselineName: `bare jsonb upsert loop, ${WORKERS} connections`,
      ratio: rate('store') / rate('bare'),
      target: `>= ${TARGET}x saves/s`,
      met: Math.min(...vsBare) >= TARGET,
      note: `ratio is saves/s, store / bare (higher is better), times are per save; saves/s store ${rate('store').toFixed(0)}, bare ${rate('bare').toFixed(0)}; runs of ${seconds} s in the order ${order} (run by run ${vsBare.map((r) => r.toFixed(2)).join(', ')}; the target holds when both do); merged totals exact after every run (each worker's last ack == stored; store sums ${storeTotals.join(', ')})`,
    };
    const vsNotify = pairs('store', 'notify');
    const notifyRow: Row = {
      name: `${WORKERS} worker processes, sustained saves/s: PgSummaryStore.save vs the bare upsert with a pg_notify in the same statement`,
      candidate: latencyStats(latencies.store),
      baseline: latencyStats(latencies.notify),
      baselineName: 'bare jsonb upsert + pg_notify, one statement',
      ratio: rate('store') / rate('notify'),
      note: `informational: the floor of a store that notifies watchers in the write's transaction (PostgreSQL serializes the commits of notifying transactions); saves/s ${rate('notify').toFixed(0)}, ${(rate('notify') / rate('bare')).toFixed(2)}x the bare upsert's; ratio is saves/s (run by run ${vsNotify.map((r) => r.toFixed(2)).join(', ')})`,
    };
    writeReport(
      Object.assign(
        { topic: 'throughput', package: '@process-summary/store-pg', rows: [main, notifyRow] },
        { setup },
      ),
    );
  } finally {
    await exitAll(workers);
    await dropSchema(url, SCHEMA);
    await dropSchema(url, BARE_SCHEMA);
  }
}
