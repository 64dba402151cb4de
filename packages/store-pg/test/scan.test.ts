import {
  createManualClock,
  type ListedListing,
  type ListingPage,
  ProcessSummary,
  type SummaryRef,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PgSummaryStore } from '../src/index.js';
import { SCAN_PAGE } from '../src/pg-store.js';
import { adminPool, freshStore } from './_helpers.js';

async function pagesOf(store: PgSummaryStore, runName?: string): Promise<ListingPage[]> {
  const pages: ListingPage[] = [];
  for await (const page of store.scanListings(runName === undefined ? {} : { runName })) {
    pages.push(page);
  }
  return pages;
}

async function scanned(store: PgSummaryStore, runName?: string): Promise<ListedListing[]> {
  return (await pagesOf(store, runName)).flatMap((page) => page.listed);
}

/** What the scan must hold for `ref`: its readListing. */
async function expectedRead(store: PgSummaryStore, ref: SummaryRef) {
  return (await store.readListing([ref]))[0] ?? null;
}

function summaryOf(ref: SummaryRef, processed: number): ProcessSummary {
  const summary = new ProcessSummary({ ...ref, clock: createManualClock(1_750_000_000) });
  summary.startProcess({ host: 'test-host', pid: 1 });
  summary.incrementItems({ processed, successful: processed });
  summary.addError('Timeout', 'slow');
  return summary;
}

test('a saved row carries its listing entry, and the scan answers from it what readListing does', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const refs: SummaryRef[] = [
      { runName: 'r1', processName: 'collect' },
      { runName: 'r1', processName: 'sync', worker: 'w1' },
      { runName: 'r2', processName: 'collect' },
    ];
    for (const [i, ref] of refs.entries()) await store.save(summaryOf(ref, i + 1));
    const admin = await adminPool();
    const rows = await admin.query(
      `SELECT listing_entry FROM ${schema}.summaries ORDER BY run_name, process_name, worker`,
    );
    for (const row of rows.rows) {
      assert.type(row.listing_entry, 'string', 'the writer made the entry');
      assert.ok(JSON.parse(`[${row.listing_entry}]`).length === 7, 'the members of one entry');
    }
    const listed = await scanned(store);
    assert.is(listed.length, 3);
    for (const { summary, read } of listed) {
      assert.equal(read, await expectedRead(store, summary));
    }
  } finally {
    await drop();
  }
});

test('hand edits of a row change its listing entry with it: the scan never shows an older state', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const ref: SummaryRef = { runName: 'edited', processName: 'collect' };
    await store.save(summaryOf(ref, 5));
    const admin = await adminPool();
    const where = `run_name = 'edited' AND process_name = 'collect'`;
    await admin.query(`UPDATE ${schema}.summaries SET written_epoch = 42 WHERE ${where}`);
    let [only] = await scanned(store);
    assert.is(only?.read?.epoch, 42, 'the epoch written by hand');
    assert.equal(only?.read, await expectedRead(store, ref));
    // A body replaced by hand: its projection and entry go, and the scan cuts the new body.
    const other = summaryOf(ref, 99);
    await admin.query(`UPDATE ${schema}.summaries SET body = $1::json WHERE ${where}`, [
      JSON.stringify(other.getSummaryDict()),
    ]);
    const entry = await admin.query(
      `SELECT listing_entry IS NULL AS gone FROM ${schema}.summaries WHERE ${where}`,
    );
    assert.is(entry.rows[0].gone, true);
    [only] = await scanned(store);
    assert.is(only?.read?.dict?.items_processed, 99);
    assert.equal(only?.read, await expectedRead(store, ref));
    // An entry edited by hand is made again from the row.
    await store.save(summaryOf(ref, 7));
    await admin.query(`UPDATE ${schema}.summaries SET listing_entry = 'nonsense' WHERE ${where}`);
    [only] = await scanned(store);
    assert.is(only?.read?.dict?.items_processed, 7);
    assert.equal(only?.read, await expectedRead(store, ref));
  } finally {
    await drop();
  }
});

test('rows without an entry (written before version 5) are scanned from their projection', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const ref: SummaryRef = { runName: 'old', processName: 'collect' };
    await store.save(summaryOf(ref, 3));
    const admin = await adminPool();
    await admin.query(`ALTER TABLE ${schema}.summaries DISABLE TRIGGER summaries_listing`);
    await admin.query(`UPDATE ${schema}.summaries SET listing_entry = NULL`);
    await admin.query(`ALTER TABLE ${schema}.summaries ENABLE TRIGGER summaries_listing`);
    const [only] = await scanned(store);
    assert.is(only?.read?.dict?.items_processed, 3);
    assert.equal(only?.read, await expectedRead(store, ref));
  } finally {
    await drop();
  }
});

test('a scan of more rows than a page takes several pages, each row once, and a run across them', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.ready();
    const admin = await adminPool();
    const count = SCAN_PAGE * 2 + 150;
    // Rows written behind the store's back (no projection, no entry): every one is read whole.
    const body = JSON.stringify(summaryOf({ runName: 'x', processName: 'y' }, 1).getSummaryDict());
    await admin.query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, size_bytes, written_at)
       SELECT 'run_' || lpad((i / 1000)::text, 2, '0'), 'p_' || lpad((i % 1000)::text, 4, '0'), '',
         $1::json, octet_length($1::text), now()
       FROM generate_series(0, $2 - 1) AS i`,
      [body, count],
    );
    const pages = await pagesOf(store);
    assert.ok(pages.length >= 3, `${pages.length} pages`);
    for (const page of pages) assert.ok(page.listed.length <= SCAN_PAGE);
    const listed = pages.flatMap((page) => page.listed);
    const keys = listed.map(({ summary }) => `${summary.runName}/${summary.processName}`);
    assert.is(new Set(keys).size, count, 'each row once');
    assert.is(listed.length, count);
    assert.ok(listed.every(({ read }) => read?.dict?.items_processed === 1));
    const run1 = await scanned(store, 'run_01');
    assert.is(run1.length, 1000);
    assert.ok(run1.every(({ summary }) => summary.runName === 'run_01'));
  } finally {
    await drop();
  }
});

test('a scan left after its first page leaves nothing unhandled, and the store closes', async () => {
  const { store, schema, drop } = await freshStore();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await store.ready();
    const admin = await adminPool();
    await admin.query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, size_bytes, written_at)
       SELECT 'run', 'p_' || lpad(i::text, 5, '0'), '', '{}'::json, 2, now()
       FROM generate_series(1, $1) AS i`,
      [SCAN_PAGE * 3],
    );
    for await (const page of store.scanListings()) {
      assert.is(page.listed.length, SCAN_PAGE);
      break;
    }
    await drop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test.run();
