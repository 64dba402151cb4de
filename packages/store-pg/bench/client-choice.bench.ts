/**
 * Which client the store is built on: `pg` (node-postgres) and `postgres` (porsager) side by
 * side on the store's own workload, each used as its README shows (pg: a Pool and parameterized
 * queries, an unnamed statement per call; postgres: tagged templates, which it prepares and
 * caches by default). The rows read "postgres vs pg": a ratio below 1 means postgres was faster.
 *
 * The document is bound as text on both sides: postgres serializes a value bound to a `json`
 * parameter with JSON.stringify (text would be stored as a JSON string) and its `sql.json`
 * binds jsonb, which reorders keys; hence `::text::json`.
 *
 * (a) one upsert of a ~5 KB JSON document into a `json` column keyed by three text columns,
 *     sequential; pg with a named (prepared) statement beside it, for information;
 * (b) 32 upserters at once over a pool of 32, each to its own key, for a few seconds per
 *     contender, alternating;
 * (c) a select of 10,000 rows of ~5 KB JSON fetched as text and parsed in JS.
 * Each case checks that both clients stored or returned the same documents.
 */
import { isDeepStrictEqual } from 'node:util';
import { compareAsync, type Row, type Stats, writeReport } from '@process-summary/bench-kit';
import pg from 'pg';
import postgres from 'postgres';
import {
  benchServer,
  docText,
  dropSchema,
  freshSchema,
  median,
  percentile,
  quick,
  spread,
  typicalSummary,
} from './_setup.js';

const SCHEMA = 'bench_client_choice';
const POOL = 32;
const SELECT_ROWS = 10_000;

const table = (name: string) => `
  CREATE TABLE ${SCHEMA}.${name} (
    run_name text NOT NULL,
    process_name text NOT NULL,
    worker text NOT NULL,
    doc json NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_name, process_name, worker)
  )`;

const UPSERT_PG = `INSERT INTO ${SCHEMA}.docs_pg (run_name, process_name, worker, doc)
  VALUES ($1, $2, $3, $4::json)
  ON CONFLICT (run_name, process_name, worker)
  DO UPDATE SET doc = excluded.doc, updated_at = now()`;

/** Closed-loop load: `workers` loops calling `op(i)` until `ms` have passed. */
async function sustained(
  workers: number,
  ms: number,
  op: (worker: number) => Promise<unknown>,
): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(ms) * 1_000_000n;
  const loop = async (worker: number) => {
    for (;;) {
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) return;
      await op(worker);
      latencies.push(Number(process.hrtime.bigint() - t0));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => loop(i)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: latencies.length / seconds, latencies };
}

function latencyStats(latencies: number[]): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    medianNs: percentile(sorted, 0.5),
    p99Ns: percentile(sorted, 0.99),
    samples: sorted.length,
  };
}

export async function run(): Promise<void> {
  const { url, setup } = await benchServer();
  await freshSchema(url, SCHEMA);
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  const sql = postgres(url, { max: POOL, onnotice: () => {} });
  try {
    await pool.query(table('docs_pg'));
    await pool.query(table('docs_pg_named'));
    await pool.query(table('docs_postgres'));
    await pool.query(table('docs_select'));
    const summary = typicalSummary('bench', 'collect');
    const expected = docText(summary);

    // (a) one upsert at a time.
    const single = await compareAsync({
      name: `upsert of a ${expected.length}-byte JSON document, sequential: postgres`,
      candidate: () =>
        sql`INSERT INTO bench_client_choice.docs_postgres (run_name, process_name, worker, doc)
          VALUES (${'bench'}, ${'collect'}, ${'one'}, ${docText(summary)}::text::json)
          ON CONFLICT (run_name, process_name, worker)
          DO UPDATE SET doc = excluded.doc, updated_at = now()`,
      baselines: {
        pg: () => pool.query(UPSERT_PG, ['bench', 'collect', 'one', docText(summary)]),
        'pg, named statement': () =>
          pool.query({
            name: 'upsert-named',
            text: UPSERT_PG.replace('docs_pg', 'docs_pg_named'),
            values: ['bench', 'collect', 'one', docText(summary)],
          }),
      },
      rounds: quick ? 200 : 1000,
    });
    for (const name of ['docs_pg', 'docs_pg_named', 'docs_postgres']) {
      const { rows } = await pool.query<{ doc: string }>(
        `SELECT doc::text AS doc FROM ${SCHEMA}.${name} WHERE worker = 'one'`,
      );
      if (rows.length !== 1 || rows[0]?.doc !== expected) {
        throw new Error(`client choice: ${name} does not hold the document upserted`);
      }
    }

    // (b) 32 upserters at once over a pool of 32.
    const roundMs = quick ? 1000 : 3000;
    const runs: Record<'pg' | 'postgres', { perSecond: number[]; latencies: number[] }> = {
      pg: { perSecond: [], latencies: [] },
      postgres: { perSecond: [], latencies: [] },
    };
    const contenders: ['pg' | 'postgres', (worker: number) => Promise<unknown>][] = [
      [
        'pg',
        (worker) => pool.query(UPSERT_PG, ['bench', 'collect', `w${worker}`, docText(summary)]),
      ],
      [
        'postgres',
        (worker) =>
          sql`INSERT INTO bench_client_choice.docs_postgres (run_name, process_name, worker, doc)
            VALUES (${'bench'}, ${'collect'}, ${`w${worker}`}, ${docText(summary)}::text::json)
            ON CONFLICT (run_name, process_name, worker)
            DO UPDATE SET doc = excluded.doc, updated_at = now()`,
      ],
    ];
    // A first short round each opens the 32 connections.
    for (const [, op] of contenders) await sustained(POOL, 300, op);
    for (let round = 0; round < 4; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const [name, op] of order) {
        const result = await sustained(POOL, roundMs, op);
        runs[name].perSecond.push(result.perSecond);
        runs[name].latencies.push(...result.latencies);
      }
    }
    for (const name of ['docs_pg', 'docs_postgres']) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.${name} WHERE worker LIKE 'w%' AND doc::text = $1`,
        [expected],
      );
      if (rows[0]?.n !== POOL) throw new Error(`client choice: ${name} lacks upserted documents`);
    }
    const pgRate = median(runs.pg.perSecond);
    const postgresRate = median(runs.postgres.perSecond);
    const concurrentRow: Row = {
      name: `${POOL} concurrent upserters over a pool of ${POOL}: postgres vs pg`,
      candidate: latencyStats(runs.postgres.latencies),
      baseline: latencyStats(runs.pg.latencies),
      baselineName: 'pg',
      note: `times are per upsert; upserts/s postgres ${postgresRate.toFixed(0)} (${spread(runs.postgres.perSecond, 0)}), pg ${pgRate.toFixed(0)} (${spread(runs.pg.perSecond, 0)}): throughput postgres/pg ${(postgresRate / pgRate).toFixed(2)}x; 4 runs of ${roundMs / 1000} s each, alternating`,
    };
    concurrentRow.ratio =
      (concurrentRow.candidate.medianNs || Number.NaN) / (concurrentRow.baseline?.medianNs ?? 0);

    // (c) 10,000 rows of ~5 KB JSON, fetched as text and parsed here.
    const refs = Array.from({ length: SELECT_ROWS }, (_, i) => ({
      run: `run_${String(Math.floor(i / 100)).padStart(3, '0')}`,
      process: `process_${i % 100}`,
    }));
    for (let start = 0; start < refs.length; start += 1000) {
      const batch = refs.slice(start, start + 1000);
      await pool.query(
        `INSERT INTO ${SCHEMA}.docs_select (run_name, process_name, worker, doc)
         SELECT r, p, '', d::json FROM unnest($1::text[], $2::text[], $3::text[]) AS t(r, p, d)`,
        [
          batch.map((r) => r.run),
          batch.map((r) => r.process),
          batch.map((r) => docText(typicalSummary(r.run, r.process))),
        ],
      );
    }
    const SELECT = `SELECT run_name, process_name, worker, doc::text AS doc FROM ${SCHEMA}.docs_select ORDER BY run_name, process_name, worker`;
    const viaPg = async () => {
      const { rows } = await pool.query<{ doc: string }>(SELECT);
      return rows.map((row) => JSON.parse(row.doc) as unknown);
    };
    const viaPostgres = async () => {
      const rows = await sql<
        { doc: string }[]
      >`SELECT run_name, process_name, worker, doc::text AS doc
        FROM bench_client_choice.docs_select ORDER BY run_name, process_name, worker`;
      return rows.map((row) => JSON.parse(row.doc) as unknown);
    };
    const [a, b] = [await viaPg(), await viaPostgres()];
    if (a.length !== SELECT_ROWS || !isDeepStrictEqual(a, b)) {
      throw new Error('client choice: pg and postgres returned other documents');
    }
    const select = await compareAsync({
      name: `select of ${SELECT_ROWS.toLocaleString('en-US')} rows of ~${expected.length}-byte JSON as text + JSON.parse: postgres`,
      candidate: viaPostgres,
      baselines: { pg: viaPg },
      rounds: quick ? 5 : 10,
    });

    const rows = [...single, concurrentRow, ...select];
    for (const row of rows) {
      if (row.baselineName === 'pg, named statement') {
        row.note = 'informational: pg with a prepared statement, as postgres prepares by default';
      }
    }
    const report = {
      topic: 'client-choice',
      package: '@process-summary/store-pg',
      setup: `${setup}; ratios are postgres / pg (below 1: postgres faster)`,
      rows,
    };
    writeReport(report);
  } finally {
    await sql.end();
    await pool.end();
    await dropSchema(url, SCHEMA);
  }
}
