import { createManualClock, ProcessSummary, type SummaryRef } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from '../src/db.js';
import { PgSummaryStore, SCHEMA_VERSION } from '../src/index.js';
import { migrate } from '../src/migrations.js';
import { resolveOptions } from '../src/options.js';
import { adminPool, freshSchema, freshStore } from './_helpers.js';

// summaries.has_history (schema version 4) stands for "the journal has lines for this row":
// readers test it instead of probing the journal. These tests hold it to the journal itself,
// whoever changes the journal.

const REF: SummaryRef = { runName: 'history', processName: 'collect' };
const KEY = 'run_name = $1 AND process_name = $2 AND worker = $3';

function key(ref: SummaryRef): string[] {
  return [ref.runName, ref.processName, ref.worker ?? ''];
}

/** The flag and what it stands for, read behind the store's back. */
async function flagOf(
  schema: string,
  ref: SummaryRef = REF,
): Promise<{ flag: boolean | null; journal: boolean }> {
  const admin = await adminPool();
  const row = await admin.query(
    `SELECT has_history FROM ${schema}.summaries WHERE ${KEY}`,
    key(ref),
  );
  const lines = await admin.query(
    `SELECT EXISTS (SELECT 1 FROM ${schema}.journal WHERE ${KEY}) AS journal`,
    key(ref),
  );
  return { flag: row.rows[0]?.has_history ?? null, journal: lines.rows[0].journal };
}

/** Asserts the flag is `expected` and agrees with the journal. */
async function assertFlag(schema: string, expected: boolean, message: string, ref = REF) {
  const { flag, journal } = await flagOf(schema, ref);
  assert.is(journal, expected, `${message}: the journal`);
  assert.is(flag, expected, `${message}: the flag`);
}

/** A summary with one progress update not yet saved (a save appends it to the journal). */
function withEvent(ref: SummaryRef = REF, message = 'one'): ProcessSummary {
  const summary = new ProcessSummary({ ...ref, clock: createManualClock(1_750_000_000) });
  summary.takeEvents();
  summary.incrementItems({ processed: 1, successful: 1 });
  summary.addProgressUpdate(message);
  return summary;
}

test('the history flag is set by the save that appends the first journal line, owned or not, and kept by saves that append none', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.takeEvents();
    await store.save(summary);
    await assertFlag(schema, false, 'a save without journal lines');
    assert.is((await store.read(REF))?.hasHistory, false);

    summary.addProgressUpdate('first line');
    await store.save(summary);
    await assertFlag(schema, true, 'right after the first append');
    assert.is((await store.read(REF))?.hasHistory, true);
    assert.is((await store.readListing([REF]))[0]?.hasHistory, true);
    assert.is((await store.readMany([REF]))[0]?.hasHistory, true);

    summary.incrementItems({ processed: 1 });
    await store.save(summary);
    await assertFlag(schema, true, 'after a save that appends nothing');

    const owned = { runName: 'history', processName: 'owned' };
    const { lease } = await store.acquire(owned);
    await assertFlag(schema, false, 'a row made by acquire', owned);
    await store.save(withEvent(owned), lease);
    await assertFlag(schema, true, 'right after an owner appends', owned);
    assert.is((await store.readListing([owned]))[0]?.hasHistory, true);
  } finally {
    await drop();
  }
});

test('a save appending the first journal line writes its row once (the trigger finds it flagged)', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(withEvent());
    // One version of the row in the table: an update by the journal's trigger would have
    // written a second one (and left the first dead) in the same transaction.
    const admin = await adminPool();
    const versions = await admin.query(
      `SELECT ctid::text AS ctid, has_history FROM ${schema}.summaries WHERE ${KEY}`,
      key(REF),
    );
    assert.equal(versions.rows, [{ ctid: '(0,1)', has_history: true }]);
  } finally {
    await drop();
  }
});

test('remove and archive clear the flag with the journal; a run that starts again is flagged again', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(withEvent());
    await assertFlag(schema, true, 'saved');
    assert.is(await store.remove(REF), true);
    await assertFlag(schema, false, 'right after remove');
    assert.is(await store.read(REF), null, 'nothing left to read');
    assert.equal((await store.readListing([REF]))[0], null);
    assert.equal((await store.list()).summaries, [], 'nothing left to list');

    await store.save(withEvent());
    await assertFlag(schema, true, 'saved again');
    assert.type(await store.archive(REF), 'string');
    await assertFlag(schema, false, 'right after archive');
    assert.is(await store.read(REF), null);
    assert.equal((await store.list()).summaries, []);

    await store.save(withEvent());
    await assertFlag(schema, true, 'started again');
  } finally {
    await drop();
  }
});

test('a damaged summary set aside by load keeps its flag: the journal it is rebuilt from is still there', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = withEvent();
    await store.save(summary);
    const admin = await adminPool();
    await admin.query(
      `UPDATE ${schema}.summaries SET body = '{"damaged": true}' WHERE ${KEY}`,
      key(REF),
    );
    const loaded = await store.load(REF);
    assert.is(loaded?.warnings[0]?.code, 'E_INVALID_SUMMARY');
    await assertFlag(schema, true, 'right after the quarantine');
    assert.is((await store.readListing([REF]))[0]?.hasHistory, true);
    const rebuilt = loaded?.summary as ProcessSummary;
    rebuilt.addProgressUpdate('after the repair');
    await store.save(rebuilt);
    await assertFlag(schema, true, 'after the repaired summary is saved');
  } finally {
    await drop();
  }
});

test('the flag follows journal changes made behind the store: insert, delete, lines moved to another ref, truncate', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const other = { runName: 'history', processName: 'other' };
    await store.save(withEvent());
    await store.save(withEvent(other));
    // A row that holds neither a summary nor history (removed): not listed.
    await store.remove(other);
    await assertFlag(schema, false, 'removed', other);
    const admin = await adminPool();

    await admin.query(
      `INSERT INTO ${schema}.journal (run_name, process_name, worker, event) VALUES ($1, $2, $3, $4)`,
      [...key(other), JSON.stringify({ type: 'progress', message: 'by hand', timestamp: 1 })],
    );
    await assertFlag(schema, true, 'a line inserted by hand', other);
    const listed = (await store.list()).summaries.map((s) => [s.processName, s.hasSummary]);
    assert.equal(listed, [
      ['collect', true],
      ['other', false],
    ]);
    assert.is((await store.read(other))?.problem?.code, 'E_NOT_FOUND', 'its journal remains');

    await admin.query(`DELETE FROM ${schema}.journal WHERE ${KEY}`, key(other));
    await assertFlag(schema, false, 'its lines deleted by hand', other);
    assert.equal(
      (await store.list()).summaries.map((s) => s.processName),
      ['collect'],
    );

    // Some lines deleted, some left: still flagged.
    await store.save(withEvent(REF, 'two'));
    await admin.query(
      `DELETE FROM ${schema}.journal WHERE seq = (SELECT min(seq) FROM ${schema}.journal WHERE ${KEY})`,
      key(REF),
    );
    await assertFlag(schema, true, 'one line of several deleted');

    await admin.query(`UPDATE ${schema}.journal SET process_name = $4 WHERE ${KEY}`, [
      ...key(REF),
      other.processName,
    ]);
    await assertFlag(schema, false, 'its lines moved away');
    await assertFlag(schema, true, 'the lines moved to it', other);
    assert.is((await store.read(REF))?.hasHistory, false);
    assert.is((await store.readListing([other]))[0]?.hasHistory, true);

    await admin.query(`TRUNCATE ${schema}.journal`);
    await assertFlag(schema, false, 'truncated');
    await assertFlag(schema, false, 'truncated', other);
    assert.equal(
      (await store.list()).summaries.map((s) => s.processName),
      ['collect'],
    );
  } finally {
    await drop();
  }
});

test('a database at version 3 upgrades to 4 once, however many processes start on it, its flags set from the journal', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const admin = await adminPool();
  const db = new Database(resolveOptions({ url, schema }));
  const stores: PgSummaryStore[] = [];
  try {
    await migrate(db, schema, 3);
    // Rows as a library of version 3 left them: a summary with a journal, one without, a run
    // with only history (its summary lost), a row with neither (a lease taken, nothing saved).
    const body = (processName: string) =>
      JSON.stringify(
        new ProcessSummary({
          runName: 'old',
          processName,
          clock: createManualClock(1_750_000_000),
        }).getSummaryDict(),
      );
    for (const [processName, withBody, lines] of [
      ['journaled', true, 2],
      ['quiet', true, 0],
      ['history_only', false, 1],
      ['lease_only', false, 0],
    ] as const) {
      await admin.query(
        `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, written_at) VALUES ('old', $1, '', $2::json, now())`,
        [processName, withBody ? body(processName) : null],
      );
      // The lines its saves appended: what the journal of a real run holds.
      const run = new ProcessSummary({
        runName: 'old',
        processName,
        clock: createManualClock(1_750_000_000),
      });
      run.startProcess({ host: 'test-host', pid: 1 });
      for (let i = 0; i < lines; i++) run.addProgressUpdate(`line ${i}`);
      for (const event of lines === 0 ? [] : run.takeEvents()) {
        await admin.query(
          `INSERT INTO ${schema}.journal (run_name, process_name, worker, event) VALUES ('old', $1, '', $2)`,
          [processName, JSON.stringify(event)],
        );
      }
    }
    for (let i = 0; i < 8; i++) stores.push(new PgSummaryStore({ url, schema, poolSize: 1 }));
    const results = await Promise.allSettled(stores.map((store) => store.list()));
    assert.equal(
      results.filter((r) => r.status === 'rejected'),
      [],
      'every store came up',
    );
    const versions = await admin.query(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.equal(
      versions.rows.map((r) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    assert.ok(SCHEMA_VERSION >= 4);
    const flags = await admin.query(
      `SELECT process_name, has_history FROM ${schema}.summaries ORDER BY process_name`,
    );
    assert.equal(flags.rows, [
      { process_name: 'history_only', has_history: true },
      { process_name: 'journaled', has_history: true },
      { process_name: 'lease_only', has_history: false },
      { process_name: 'quiet', has_history: false },
    ]);
    const store = stores[0] as PgSummaryStore;
    for (const result of results) {
      assert.equal(
        (
          result as PromiseFulfilledResult<Awaited<ReturnType<PgSummaryStore['list']>>>
        ).value.summaries.map((s) => [s.processName, s.hasSummary]),
        [
          ['history_only', false],
          ['journaled', true],
          ['quiet', true],
        ],
      );
    }
    const refs = ['journaled', 'quiet', 'history_only', 'lease_only'].map((processName) => ({
      runName: 'old',
      processName,
    }));
    const listing = await store.readListing(refs);
    assert.equal(
      listing.map((read) => read?.hasHistory ?? null),
      [true, false, true, null],
    );
    assert.is(listing[2]?.problem?.code, 'E_NOT_FOUND');
    // The run with only history is rebuilt from it, as before the upgrade.
    const loaded = await store.load({ runName: 'old', processName: 'history_only' });
    assert.is(loaded?.warnings[0]?.code, 'E_NOT_FOUND');
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await db.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test.run();
