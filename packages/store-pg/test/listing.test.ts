import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createManualClock,
  LISTING_FIELDS,
  ProcessSummary,
  type ReadResult,
  type SummaryRef,
} from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database } from '../src/db.js';
import { PgSummaryStore, SCHEMA_VERSION } from '../src/index.js';
import { encodeListing } from '../src/listing.js';
import { migrate } from '../src/migrations.js';
import { resolveOptions } from '../src/options.js';
import { adminPool, freshSchema, freshStore } from './_helpers.js';

const REF: SummaryRef = { runName: 'listing', processName: 'collect' };
const WHERE = `run_name = $1 AND process_name = $2 AND worker = ''`;

/** `read` with `full: false`, its dict cut to the listing fields: what readListing must answer. */
function projected(read: ReadResult | null): unknown {
  if (read === null || read.dict === null) return read;
  const dict = read.dict as unknown as Record<string, unknown>;
  return {
    ...read,
    dict: Object.fromEntries(LISTING_FIELDS.filter((k) => k in dict).map((k) => [k, dict[k]])),
  };
}

async function listingColumn(schema: string, ref: SummaryRef = REF): Promise<string | null> {
  const admin = await adminPool();
  const result = await admin.query(
    `SELECT listing::text AS listing FROM ${schema}.summaries WHERE ${WHERE}`,
    [ref.runName, ref.processName],
  );
  return result.rows[0]?.listing ?? null;
}

test('NUL, lone surrogates and astral text in error types come back from the stored projection exactly', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.incrementItems({ processed: 2, failed: 2 });
    summary.addError('Nul\u0000Type', 'a\u0000b');
    summary.addError('Lone\ud800High', 'x\udc00');
    summary.addError('😀\u2028"\\', 'astral');
    summary.setCustomMetric('big', 'y'.repeat(10_000));
    await store.save(summary);
    const stored = await listingColumn(schema);
    assert.ok(stored, 'the writer stored a projection');
    assert.ok(stored.length < 2000, 'the projection leaves the custom metric out');
    const [listed] = await store.readListing([REF]);
    assert.equal(listed, projected(await store.read(REF, { full: false })));
    assert.equal((listed?.dict as unknown as { error_types: unknown }).error_types, {
      'Nul\u0000Type': 1,
      'Lone\ud800High': 1,
      '😀\u2028"\\': 1,
    });
  } finally {
    await drop();
  }
});

test('a body changed behind the store (a hand edit) drops the stored projection: the listing shows the edit', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary);
    assert.ok(await listingColumn(schema));
    const edited = { ...summary.getSummaryDict(), items_processed: 41, items_successful: 41 };
    await (await adminPool()).query(
      `UPDATE ${schema}.summaries SET body = $3::json WHERE ${WHERE}`,
      [REF.runName, REF.processName, JSON.stringify(edited)],
    );
    assert.is(await listingColumn(schema), null, 'the projection no longer matches its body');
    const [listed] = await store.readListing([REF]);
    assert.is(listed?.dict?.items_processed, 41);
    assert.equal(listed, projected(await store.read(REF, { full: false })));
    // A projection written by hand that was not cut from this body is not kept either.
    await (await adminPool()).query(
      `UPDATE ${schema}.summaries SET listing = '{"run_name": "forged"}' WHERE ${WHERE}`,
      [REF.runName, REF.processName],
    );
    assert.is(await listingColumn(schema), null);
    // The next save stores a projection again.
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary);
    assert.ok(await listingColumn(schema));
    const [again] = await store.readListing([REF]);
    assert.is(again?.dict?.items_processed, 2);
  } finally {
    await drop();
  }
});

test('the stored projection is what a listing fetches, unless it was cut with another field list', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.incrementItems({ processed: 3, successful: 3 });
    await store.save(summary);
    const admin = await adminPool();
    // Only the projection changed (its digest still that of the body): the listing shows it,
    // so the body was not fetched.
    const doctored = { ...summary.getSummaryDict(), items_processed: 99, items_successful: 99 };
    await admin.query(`UPDATE ${schema}.summaries SET listing = $3::json WHERE ${WHERE}`, [
      REF.runName,
      REF.processName,
      encodeListing(doctored),
    ]);
    const [fromProjection] = await store.readListing([REF]);
    assert.is(fromProjection?.dict?.items_processed, 99);
    // Cut with another field list (another version of this library): the body is cut instead.
    await admin.query(`UPDATE ${schema}.summaries SET listing_fields = 'another' WHERE ${WHERE}`, [
      REF.runName,
      REF.processName,
    ]);
    const [fromBody] = await store.readListing([REF]);
    assert.is(fromBody?.dict?.items_processed, 3);
    assert.equal(fromBody, projected(await store.read(REF, { full: false })));
  } finally {
    await drop();
  }
});

test('a projection column edited into something that is not one is passed over for the body', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const refs = ['a', 'b', 'c'].map((processName) => ({ runName: 'tampered', processName }));
    for (const [i, ref] of refs.entries()) {
      const summary = new ProcessSummary({ ...ref, clock: createManualClock(1_750_000_000) });
      summary.incrementItems({ processed: i + 1, successful: i + 1 });
      await store.save(summary);
    }
    const admin = await adminPool();
    for (const [ref, listing] of [
      [refs[0], '{"run_name": "not the stored form"}'],
      [refs[2], '[3, "only one value"]'],
    ] as const) {
      await admin.query(`UPDATE ${schema}.summaries SET listing = $3::json WHERE ${WHERE}`, [
        ref?.runName,
        ref?.processName,
        listing,
      ]);
    }
    const listed = await store.readListing(refs);
    for (const [i, ref] of refs.entries()) {
      assert.is(listed[i]?.dict?.items_processed, i + 1, ref.processName);
      assert.equal(listed[i], projected(await store.read(ref, { full: false })));
    }
  } finally {
    await drop();
  }
});

test('a seed-format body inserted by hand is listed from its body, seed format and relative times included', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const seed = readFileSync(
      new URL(
        '../../../fixtures/seed-format/runs/harvard_2024/process_summary_collect.json',
        import.meta.url,
      ),
      'utf8',
    );
    const ref = { runName: 'harvard_2024', processName: 'collect' };
    await store.ready();
    await (await adminPool()).query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, written_at) VALUES ($1, $2, '', $3::json, now())`,
      [ref.runName, ref.processName, seed],
    );
    const [listed] = await store.readListing([ref]);
    assert.ok(listed?.dict);
    assert.is(listed.seedFormat, true);
    assert.not.ok('schema_version' in listed.dict);
    assert.equal(listed, projected(await store.read(ref, { full: false })));
  } finally {
    await drop();
  }
});

test('a summary over maxSummaryBytes is E_TOO_LARGE in a listing too, its projection not fetched', async () => {
  const { store, drop } = await freshStore({ maxSummaryBytes: 4096 });
  try {
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.setCustomMetric('big', 'z'.repeat(8000));
    await store.save(summary);
    const [listed] = await store.readListing([REF]);
    assert.is(listed?.dict, null);
    assert.is(listed?.problem?.code, 'E_TOO_LARGE');
    assert.equal([listed], await store.readMany([REF], { full: false }));
  } finally {
    await drop();
  }
});

test('a database at version 2 upgrades to 3: its summaries are listed from their bodies until saved again', async () => {
  const { url } = await testPostgres();
  const schema = freshSchema();
  const admin = await adminPool();
  const db = new Database(resolveOptions({ url, schema }));
  const store = new PgSummaryStore({ url, schema });
  try {
    await migrate(db, schema, 2);
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.incrementItems({ processed: 7, successful: 7 });
    await admin.query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, worker, body, written_at) VALUES ($1, $2, '', $3::json, now())`,
      [REF.runName, REF.processName, JSON.stringify(summary.getSummaryDict())],
    );
    const [listed] = await store.readListing([REF]);
    assert.is(listed?.dict?.items_processed, 7);
    assert.equal(listed, projected(await store.read(REF, { full: false })));
    assert.is(await listingColumn(schema), null, 'rows of version 2 have no projection yet');
    const versions = await admin.query(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.equal(
      versions.rows.map((r) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    summary.incrementItems({ processed: 1, successful: 1 });
    await store.save(summary);
    assert.ok(await listingColumn(schema));
    const [saved] = await store.readListing([REF]);
    assert.is(saved?.dict?.items_processed, 8);
  } finally {
    await store.close();
    await db.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});

test('archive and remove clear the projection with the body', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(new ProcessSummary(REF));
    assert.ok(await listingColumn(schema));
    await store.archive(REF);
    assert.is(await listingColumn(schema), null);
    assert.equal(await store.readListing([REF]), await store.readMany([REF], { full: false }));
    await store.save(new ProcessSummary(REF));
    await store.remove(REF);
    assert.is(await listingColumn(schema), null);
  } finally {
    await drop();
  }
});

test('one readListing of every kind of ref, over more refs than one query takes, answers each as read with full: false, cut', async () => {
  const { store, schema, drop } = await freshStore({ maxSummaryBytes: 8192 });
  try {
    const clock = createManualClock(1_750_000_000);
    const ref = (runName: string, processName: string, worker?: string): SummaryRef =>
      worker === undefined ? { runName, processName } : { runName, processName, worker };
    const projectedRef = ref('mixed', 'projected');
    const workerRef = ref('mixed', 'sharded', 'w1');
    const oddNames = ref('run "quoted", {braced} NULL', 'é process');
    const tooLarge = ref('mixed', 'too-large');
    const edited = ref('mixed', 'edited');
    const otherFields = ref('mixed', 'other-fields');
    const historyOnly = ref('mixed', 'history-only');
    const missing = ref('mixed', 'missing');
    for (const [i, r] of [
      projectedRef,
      workerRef,
      oddNames,
      tooLarge,
      edited,
      otherFields,
      historyOnly,
    ].entries()) {
      const summary = new ProcessSummary({ ...r, clock });
      summary.startProcess();
      summary.incrementItems({ processed: i + 1, successful: i });
      summary.addError('Timeout', 'slow');
      if (r === tooLarge) summary.setCustomMetric('big', 'z'.repeat(10_000));
      await store.save(summary);
    }
    const admin = await adminPool();
    const where = 'run_name = $1 AND process_name = $2';
    await admin.query(`UPDATE ${schema}.summaries SET listing = '[3, "x"]' WHERE ${where}`, [
      edited.runName,
      edited.processName,
    ]);
    await admin.query(`UPDATE ${schema}.summaries SET listing_fields = 'another' WHERE ${where}`, [
      otherFields.runName,
      otherFields.processName,
    ]);
    await admin.query(`UPDATE ${schema}.summaries SET body = NULL WHERE ${where}`, [
      historyOnly.runName,
      historyOnly.processName,
    ]);
    const kinds = [
      projectedRef,
      workerRef,
      oddNames,
      tooLarge,
      edited,
      otherFields,
      historyOnly,
      missing,
    ];
    const expected = new Map<SummaryRef, unknown>();
    for (const r of kinds) expected.set(r, projected(await store.read(r, { full: false })));
    assert.is(expected.get(missing), null);
    assert.is((expected.get(tooLarge) as ReadResult).problem?.code, 'E_TOO_LARGE');
    assert.is((expected.get(historyOnly) as ReadResult).problem?.code, 'E_NOT_FOUND');
    assert.ok((expected.get(edited) as ReadResult).dict, 'the body of a bad projection is read');
    // 1,600 refs, the kinds in turn: the answer of several queries, in the order asked.
    const refs = Array.from({ length: 1600 }, (_, i) => kinds[i % kinds.length] as SummaryRef);
    const listed = await store.readListing(refs);
    assert.is(listed.length, refs.length);
    for (const [i, r] of refs.entries()) assert.equal(listed[i], expected.get(r), `#${i}`);
  } finally {
    await drop();
  }
});

test('a projection stored larger than a listing fetches is passed over for the body', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary({
      ...REF,
      clock: createManualClock(1_750_000_000),
      limits: { maxErrorTypes: 400 },
    });
    summary.incrementItems({ processed: 5, failed: 5 });
    // Error types no compression shrinks much: a projection of some 50 KB.
    for (let i = 0; i < 300; i++) summary.addError(randomBytes(90).toString('base64'), 'x');
    await store.save(summary);
    const admin = await adminPool();
    // A projection that differs from the body (its digest still the body's), so that the
    // listing shows which of the two it read.
    const doctored = { ...summary.getSummaryDict(), items_processed: 99 };
    await admin.query(`UPDATE ${schema}.summaries SET listing = $3::json WHERE ${WHERE}`, [
      REF.runName,
      REF.processName,
      encodeListing(doctored),
    ]);
    const size = await admin.query(
      `SELECT pg_column_size(listing) AS n FROM ${schema}.summaries WHERE ${WHERE}`,
      [REF.runName, REF.processName],
    );
    assert.ok(size.rows[0].n > 16 * 1024, `a projection of ${size.rows[0].n} bytes is stored`);
    const [listed] = await store.readListing([REF]);
    assert.is(listed?.dict?.items_processed, 5, 'read from the body');
    assert.equal(listed, projected(await store.read(REF, { full: false })));
  } finally {
    await drop();
  }
});

test('a written_at set to infinity by hand is listed as read reports it', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) }));
    await (await adminPool()).query(
      `UPDATE ${schema}.summaries SET written_at = 'infinity' WHERE ${WHERE}`,
      [REF.runName, REF.processName],
    );
    const [listed] = await store.readListing([REF]);
    assert.is(listed?.writtenAt, Number.POSITIVE_INFINITY);
    assert.equal(listed, projected(await store.read(REF, { full: false })));
    const { summaries } = await store.list();
    assert.is(summaries[0]?.writtenAt, Number.POSITIVE_INFINITY);
  } finally {
    await drop();
  }
});

test.run();
