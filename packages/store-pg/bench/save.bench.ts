/**
 * One save of a ~5 KB summary through `PgSummaryStore.save(summary, lease)` against the floor:
 * a bare `INSERT … ON CONFLICT DO UPDATE` of the same document as jsonb, keyed by three text
 * columns, through the same pg pool (what a user would write). The same upsert into a `json`
 * column (what the store keeps: jsonb refuses \u0000 in strings and reorders keys) is shown
 * beside it for information. Interleaved, one save at a time.
 *
 * Each contender has its own summary, incremented once per call, so every call stores a new
 * state and all three end with the same one: the bench checks that each holds it.
 */
import { isDeepStrictEqual } from 'node:util';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import { PgSummaryStore } from '@process-summary/store-pg';
import pg from 'pg';
import { benchServer, docText, dropSchema, freshSchema, quick, typicalSummary } from './_setup.js';

const SCHEMA = 'bench_pg_save';
const FLOOR_SCHEMA = 'bench_pg_save_floor';
const FLOOR = 'bare jsonb upsert, same pool';
const JSON_FLOOR = 'bare json upsert, same pool';

const upsert = (table: string, type: 'json' | 'jsonb') =>
  `INSERT INTO ${FLOOR_SCHEMA}.${table} (run_name, process_name, worker, doc)
   VALUES ($1, $2, $3, $4::${type})
   ON CONFLICT (run_name, process_name, worker)
   DO UPDATE SET doc = excluded.doc, updated_at = now()`;

export async function run(): Promise<void> {
  const { url, setup } = await benchServer();
  await dropSchema(url, SCHEMA);
  await freshSchema(url, FLOOR_SCHEMA);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const store = new PgSummaryStore({ pool, schema: SCHEMA });
  try {
    for (const [table, type] of [
      ['docs_jsonb', 'jsonb'],
      ['docs_json', 'json'],
    ] as const) {
      await pool.query(`CREATE TABLE ${FLOOR_SCHEMA}.${table} (
        run_name text NOT NULL, process_name text NOT NULL, worker text NOT NULL,
        doc ${type} NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_name, process_name, worker))`);
    }
    const ref = { runName: 'bench', processName: 'collect', worker: null };
    const { lease } = await store.acquire(ref);
    const mine = typicalSummary('bench', 'collect');
    const jsonb = typicalSummary('bench', 'collect');
    const json = typicalSummary('bench', 'collect');
    const bytes = docText(mine).length;
    const step = { processed: 1, successful: 1 };
    const rows = await compareAsync({
      name: `save of a ${bytes}-byte summary: PgSummaryStore.save with a lease`,
      candidate: () => {
        mine.incrementItems(step);
        return store.save(mine, lease);
      },
      baselines: {
        [FLOOR]: () => {
          jsonb.incrementItems(step);
          return pool.query(upsert('docs_jsonb', 'jsonb'), [
            'bench',
            'collect',
            '',
            docText(jsonb),
          ]);
        },
        [JSON_FLOOR]: () => {
          json.incrementItems(step);
          return pool.query(upsert('docs_json', 'json'), ['bench', 'collect', '', docText(json)]);
        },
      },
      rounds: quick ? 200 : 1000,
      targets: { [FLOOR]: 1.5 },
    });

    // The same result: each holds the same, last state.
    const expected = JSON.parse(docText(mine)) as Record<string, unknown>;
    const read = await store.read(ref);
    // The store stamps the lease's epoch into what it writes (the schema's owner_epoch).
    const stored = { ...(read?.dict as unknown as Record<string, unknown>) };
    if (stored.owner_epoch !== lease.epoch) {
      throw new Error(
        `save: PgSummaryStore wrote owner_epoch ${stored.owner_epoch}, not ${lease.epoch}`,
      );
    }
    delete stored.owner_epoch;
    const floors = await pool.query<{ a: unknown; b: string }>(
      `SELECT (SELECT doc FROM ${FLOOR_SCHEMA}.docs_jsonb) AS a, (SELECT doc::text FROM ${FLOOR_SCHEMA}.docs_json) AS b`,
    );
    if (!isDeepStrictEqual(stored, expected)) {
      throw new Error('save: PgSummaryStore does not hold the last state saved');
    }
    if (!isDeepStrictEqual(floors.rows[0]?.a, expected)) {
      throw new Error('save: the jsonb floor does not hold the same state');
    }
    if (floors.rows[0]?.b !== docText(json) || docText(json) !== docText(mine)) {
      throw new Error('save: the json floor does not hold the same state');
    }
    await store.release(lease);
    for (const row of rows) {
      row.note =
        row.baselineName === FLOOR
          ? `${bytes} bytes; the store's save is fenced by the lease's epoch`
          : 'informational: the same upsert into a json column, as the store keeps the dict';
    }
    writeReport(
      Object.assign({ topic: 'save', package: '@process-summary/store-pg', rows }, { setup }),
    );
  } finally {
    await store.close();
    await pool.end();
    await dropSchema(url, SCHEMA);
    await dropSchema(url, FLOOR_SCHEMA);
  }
}
