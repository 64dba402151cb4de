/**
 * `summary-inspect list --json` without the process start-up: `listRows` of @process-summary/inspect
 * over 10,000 summaries (100 runs of 100 completed processes), then the rows rendered as JSON,
 * against PgSummaryStore and against FileSummaryStore holding the same summaries. A fresh store
 * each round on both sides, as a new `summary-inspect` has (PostgreSQL: a new pool, its first
 * connection and the migration check included; files: no directory index carried over).
 *
 * With `scanListings` (PgSummaryStore has it) listRows reads every row's listing entry in one
 * pass, 1,000 rows per page. Beside it, informational: the same listing with scanListings hidden
 * (`list`, then `readListing` of 1,000 refs per call), with readListing hidden too (`readMany` of
 * the whole summaries, 1,000 per call), and with readMany hidden as well (one `read` per summary,
 * 8 in flight). Every variant must give the same rows, and the file store the same rows but for
 * the location.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { compareAsync, type Row, writeReport } from '@process-summary/bench-kit';
import type { ProcessSummary, SummaryStore } from '@process-summary/core';
import { listRows, type SummaryRow, safeJsonStringify } from '@process-summary/inspect';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { PgSummaryStore } from '@process-summary/store-pg';
import { benchServer, dropSchema, quick, typicalSummary } from './_setup.js';

const RUNS = 100;
const PROCESSES = 100;
const SCHEMA = 'bench_pg_list';

function completed(runName: string, processName: string): ProcessSummary {
  const summary = typicalSummary(runName, processName);
  summary.endProcess();
  return summary;
}

/** A store without some capabilities: what listRows does for a store that lacks them. */
function without(store: SummaryStore, hidden: readonly (keyof SummaryStore)[]): SummaryStore {
  return new Proxy(store, {
    get(target, key) {
      if ((hidden as readonly (string | symbol)[]).includes(key)) return undefined;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** What the two stores must agree on: every field of every row but where it is stored. */
function comparable(rows: SummaryRow[]): unknown[] {
  return rows.map(({ location: _location, last_update_time: _l, silent_seconds: _s, ...rest }) => ({
    ...rest,
    workers: rest.workers.length,
  }));
}

export async function run(): Promise<void> {
  const { url, setup } = await benchServer();
  await dropSchema(url, SCHEMA);
  const dir = mkdtempSync(join(tmpdir(), 'store-pg-bench-list-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'runs');
  const files = new FileSummaryStore({ root, logger: silentLogger });
  const seeder = new PgSummaryStore({ url, schema: SCHEMA, poolSize: 16 });
  try {
    const pending: Promise<void>[] = [];
    for (let r = 0; r < RUNS; r++) {
      const runName = `run_${String(r).padStart(3, '0')}`;
      mkdirSync(join(root, runName), { recursive: true });
      for (let p = 0; p < PROCESSES; p++) {
        const summary = completed(runName, `process_${p}`);
        // The bytes FileSummaryStore writes (2-space JSON and a newline), without 10,000 fsyncs.
        writeFileSync(
          files.pathFor(runName, `process_${p}`),
          `${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`,
        );
        pending.push(seeder.save(summary));
        if (pending.length >= 64) await Promise.all(pending.splice(0));
      }
    }
    await Promise.all(pending);
  } finally {
    await seeder.close();
  }
  const expected = RUNS * PROCESSES;
  const now = 1_750_000_000 + 3600;

  const viaPg = async (hidden: readonly (keyof SummaryStore)[] = []) => {
    const store = new PgSummaryStore({ url, schema: SCHEMA });
    try {
      const { rows } = await listRows(without(store, hidden), { now });
      return { rows, json: safeJsonStringify(rows) };
    } finally {
      await store.close();
    }
  };
  const viaFiles = async () => {
    const store = new FileSummaryStore({ root, logger: silentLogger });
    const { rows } = await listRows(store, { now });
    return { rows, json: safeJsonStringify(rows) };
  };
  // What a timed round keeps: the sampler holds it while the next round runs, and a listing's
  // rows and text held there would be live heap that round's garbage collections walk.
  const jsonLength = async (listing: Promise<{ json: string }>) => (await listing).json.length;
  const byRefs = ['scanListings'] as const;
  const wholeReads = ['scanListings', 'readListing'] as const;
  const perRef = ['scanListings', 'readListing', 'readMany'] as const;
  // Checked in a function of its own: the 40,000 rows it compares are garbage before the
  // timing starts, instead of live heap every garbage collection of every round walks.
  await checkSameRows();
  async function checkSameRows(): Promise<void> {
    const [pgRows, byRefsRows, wholeRows, perRefRows, fileRows] = [
      (await viaPg()).rows,
      (await viaPg(byRefs)).rows,
      (await viaPg(wholeReads)).rows,
      (await viaPg(perRef)).rows,
      (await viaFiles()).rows,
    ];
    if (
      pgRows.length !== expected ||
      !isDeepStrictEqual(comparable(pgRows), comparable(fileRows))
    ) {
      throw new Error('list: PgSummaryStore and FileSummaryStore gave other rows');
    }
    if (!isDeepStrictEqual(pgRows, byRefsRows)) {
      throw new Error('list: PgSummaryStore gave other rows without scanListings');
    }
    if (!isDeepStrictEqual(pgRows, wholeRows)) {
      throw new Error('list: PgSummaryStore gave other rows without readListing and scanListings');
    }
    if (!isDeepStrictEqual(pgRows, perRefRows)) {
      throw new Error('list: PgSummaryStore gave other rows without readListing and readMany');
    }
  }

  const label = `listRows + JSON of ${expected.toLocaleString('en-US')} summaries (fresh store)`;
  const rows: Row[] = await compareAsync({
    name: `${label}: PgSummaryStore`,
    candidate: () => jsonLength(viaPg()),
    baselines: {
      'FileSummaryStore, same summaries': () => jsonLength(viaFiles()),
      'PgSummaryStore without scanListings (list, then readListing of 1,000 refs a call)': () =>
        jsonLength(viaPg(byRefs)),
      'PgSummaryStore without readListing (readMany of whole summaries)': () =>
        jsonLength(viaPg(wholeReads)),
      'PgSummaryStore without readListing and readMany (one read per summary, 8 in flight)': () =>
        jsonLength(viaPg(perRef)),
    },
    rounds: quick ? 3 : 25,
    interleave: true,
    targets: { 'FileSummaryStore, same summaries': 0.5 },
  });
  for (const row of rows) {
    row.note =
      row.target !== undefined
        ? `${RUNS} runs of ${PROCESSES} completed processes, ~5 KB each; listRows takes the pages of scanListings: 1,000 rows a query in key order, each row's listing entry as written, the next page asked for while this one's rows are made`
        : row.baselineName?.includes('without scanListings (')
          ? 'informational: what one pass saves over listing, then looking up each projection by key'
          : row.baselineName?.includes('readMany of whole')
            ? 'informational: what the listing projection saves'
            : 'informational: what readListing and readMany save';
  }
  writeReport(
    Object.assign({ topic: 'list', package: '@process-summary/store-pg', rows }, { setup }),
  );
  await dropSchema(url, SCHEMA);
}
