/**
 * `/api/runs/:run/:process/events` is bounded in bytes as well as in records: a progress
 * update may carry up to MAX_PROGRESS_FIELDS_BYTES (1 MiB) of fields and every journal record
 * keeps them, so `limit=5000` alone would let the writer of the store make the server build a
 * multi-gigabyte answer. An answer stops at a byte budget (4 MiB) with `more: true` and the
 * cursor of the last entry sent; an entry larger than the whole budget is replaced by a
 * `problem` entry with its cursor, so the client still moves past it.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessSummary } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventsResponse } from '../src/api.js';
import { EVENTS_BYTE_BUDGET } from '../src/routes/events.js';
import { fileStore, startServer } from './_server.js';

/** A byte budget far above any sane page of events, far below what the store can hold. */
const BUDGET = 8 * 1024 * 1024;

test('one events answer stays within a byte budget whatever the progress fields weigh', async () => {
  const t = await fileStore();
  const ref = { runName: 'heavy', processName: 'p', worker: null };
  const summary = new ProcessSummary(ref);
  const { lease } = await t.store.acquire(ref);
  summary.startProcess();
  for (let i = 0; i < 20; i += 1) {
    summary.incrementItems({ processed: 1, successful: 1 });
    summary.addProgressUpdate(`batch ${i}`, { blob: 'x'.repeat(900_000) });
    await t.store.save(summary, lease);
  }
  await t.store.release(lease);
  const running = await startServer(t.store);
  try {
    const answer = await fetch(`${running.url}api/runs/heavy/p/events?limit=5000`);
    const text = await answer.text();
    const bytes = Buffer.byteLength(text);
    assert.is(answer.status, 200);
    assert.ok(bytes <= BUDGET, `one events answer is ${bytes} bytes (20 progress updates)`);
    const body = JSON.parse(text) as EventsResponse;
    assert.is(body.more, true, 'the answer says there is more');
    assert.ok(body.records.length > 0);
    assert.is(body.cursor, body.records[body.records.length - 1]?.cursor);
    // Following the cursors reaches every progress update, each answer within the budget.
    let updates = 0;
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const q: string = cursor === null ? '' : `&after=${encodeURIComponent(cursor)}`;
      const next = await fetch(`${running.url}api/runs/heavy/p/events?limit=5000${q}`);
      const pageText = await next.text();
      assert.ok(Buffer.byteLength(pageText) <= EVENTS_BYTE_BUDGET + 1024);
      const pageBody = JSON.parse(pageText) as EventsResponse;
      for (const record of pageBody.records) {
        if (JSON.stringify(record.event ?? {}).includes('"blob"')) updates += 1;
      }
      cursor = pageBody.cursor ?? cursor;
      if (!pageBody.more) break;
    }
    assert.is(updates, 20, 'every progress update is reached by following the cursors');
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test('an entry larger than the whole budget is replaced by a problem entry the client moves past', async () => {
  const t = await fileStore();
  const ref = { runName: 'huge', processName: 'p', worker: null };
  const summary = new ProcessSummary(ref);
  const { lease } = await t.store.acquire(ref);
  summary.startProcess();
  summary.addProgressUpdate('before', {});
  await t.store.save(summary, lease);
  // A line no writer of this project makes (fields are capped at 1 MiB): a hostile or foreign file.
  const journal = join(t.root as string, 'huge', 'process_summary_p.events.jsonl');
  appendFileSync(
    journal,
    `${JSON.stringify({ type: 'progress_update', message: 'huge', fields: { blob: 'y'.repeat(EVENTS_BYTE_BUDGET + 10) } })}\n`,
  );
  summary.addProgressUpdate('after', {});
  await t.store.save(summary, lease);
  await t.store.release(lease);
  const running = await startServer(t.store);
  try {
    const seen: string[] = [];
    let cursor: string | null = null;
    let problems = 0;
    for (let page = 0; page < 20; page += 1) {
      const q: string = cursor === null ? '' : `?after=${encodeURIComponent(cursor)}`;
      const answer = await fetch(`${running.url}api/runs/huge/p/events${q}`);
      const text = await answer.text();
      assert.is(answer.status, 200);
      assert.ok(Buffer.byteLength(text) <= EVENTS_BYTE_BUDGET, `${Buffer.byteLength(text)} bytes`);
      const body = JSON.parse(text) as EventsResponse;
      for (const record of body.records) {
        if (record.problem !== null) {
          problems += 1;
          assert.ok(record.problem.line.length <= 1024, 'only a preview of the line');
        } else seen.push(JSON.stringify(record.event));
      }
      cursor = body.cursor ?? cursor;
      if (!body.more) break;
    }
    assert.is(problems, 1, 'the oversized entry is one problem entry');
    assert.ok(
      seen.some((e) => e.includes('"after"')),
      'the entries after it are reached',
    );
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
