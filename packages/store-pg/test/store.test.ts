import { readFileSync } from 'node:fs';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { testPostgres } from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshSchema, freshStore } from './_helpers.js';

const test = suite('PgSummaryStore beyond the contract');
const REF = { runName: 'store', processName: 'collect' };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('hostile text (NUL, controls, lone quotes, emoji, HTML) is stored and read back exactly', async () => {
  const { store, drop } = await freshStore();
  try {
    const hostile = 'a\u0000b\u001b[31m"\'\\<script>alert(1)</script>\u2028😀';
    const summary = new ProcessSummary({ ...REF, clock: createManualClock(1_750_000_000) });
    summary.startProcess({ pid: 1 });
    summary.addError('Hostile\u0000Type', hostile);
    summary.addProgressUpdate(hostile, { note: hostile });
    summary.setCustomMetric('text', hostile);
    const before = summary.getSummaryDict();
    await store.save(summary);
    const read = await store.read(REF);
    assert.equal(read?.dict, before);
    const events = await collect(store.events(REF));
    const progress = events.find((r) => r.event?.type === 'progress');
    assert.is(progress?.event?.type === 'progress' && progress.event.message, hostile);
  } finally {
    await drop();
  }
});

test('events page through a long journal in order, each once', async () => {
  const { store, drop } = await freshStore();
  try {
    const summary = new ProcessSummary(REF);
    for (let i = 0; i < 2500; i++) summary.addProgressUpdate(`m${i}`);
    await store.save(summary);
    const records = await collect(store.events(REF));
    assert.is(records.length, 2500);
    assert.equal(
      records.map((r) => (r.event?.type === 'progress' ? r.event.message : '?')),
      Array.from({ length: 2500 }, (_, i) => `m${i}`),
    );
    const rest = await collect(store.events(REF, { after: records[1799]?.cursor }));
    assert.is(rest.length, 700);
  } finally {
    await drop();
  }
});

test('a cursor that is not one of ours is refused with E_INVALID_ARGUMENT', async () => {
  const { store, drop } = await freshStore();
  try {
    for (const after of ['x', '-1', '1.5', '1e3', '9'.repeat(16)]) {
      try {
        await collect(store.events(REF, { after }));
        assert.unreachable(after);
      } catch (err) {
        assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT', after);
      }
    }
  } finally {
    await drop();
  }
});

test('a seed-format summary (the Python original) reads as seed format', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.ready();
    const text = readFileSync(
      new URL(
        '../../../fixtures/seed-format/runs/harvard_2024/process_summary_collect.json',
        import.meta.url,
      ),
      'utf8',
    );
    await (await adminPool()).query(
      `INSERT INTO ${schema}.summaries (run_name, process_name, body, written_at) VALUES ('harvard_2024', 'collect', $1, now())`,
      [text],
    );
    const read = await store.read({ runName: 'harvard_2024', processName: 'collect' });
    assert.is(read?.problem, null);
    assert.is(read?.seedFormat, true);
    assert.equal(read?.dict, JSON.parse(text));
  } finally {
    await drop();
  }
});

test('load of a damaged summary keeps a copy aside and rebuilds it from the journal', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary(REF);
    summary.startProcess({ pid: 7 });
    summary.incrementItems({ processed: 3, successful: 3 });
    summary.addProgressUpdate('three');
    await store.save(summary);
    const admin = await adminPool();
    await admin.query(`UPDATE ${schema}.summaries SET body = '{"damaged": true}'`);
    const loaded = await store.load(REF);
    assert.ok(loaded);
    assert.is(loaded.warnings[0]?.code, 'E_INVALID_SUMMARY');
    assert.match(loaded.warnings[0]?.message ?? '', /set aside as .*archive#/);
    assert.is(loaded.summary.itemsProcessed, 3);
    const aside = await admin.query(`SELECT reason, body::text AS body FROM ${schema}.archive`);
    assert.equal(aside.rows, [{ reason: 'corrupt', body: '{"damaged": true}' }]);
  } finally {
    await drop();
  }
});

test('load of a damaged summary with no journal refuses with E_CORRUPT and leaves it as it is', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    await store.save(new ProcessSummary(REF));
    const admin = await adminPool();
    await admin.query(`DELETE FROM ${schema}.journal`);
    await admin.query(`UPDATE ${schema}.summaries SET body = '[1, 2]'`);
    try {
      await store.load(REF);
      assert.unreachable('loaded a damaged summary');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_CORRUPT');
    }
    const left = await admin.query(`SELECT body::text AS body FROM ${schema}.summaries`);
    assert.is(left.rows[0].body, '[1, 2]');
  } finally {
    await drop();
  }
});

test('archive keeps the summary and its journal in the archive tables', async () => {
  const { store, schema, drop } = await freshStore();
  try {
    const summary = new ProcessSummary(REF);
    summary.addProgressUpdate('kept');
    await store.save(summary);
    const where = await store.archive(REF);
    assert.match(where ?? '', new RegExp(`^${schema}\\.archive#\\d+$`));
    const admin = await adminPool();
    const journal = await admin.query(
      `SELECT event->>'message' AS message FROM ${schema}.archive_journal ORDER BY seq`,
    );
    assert.equal(
      journal.rows.map((r) => r.message),
      ['kept'],
    );
    assert.is(await store.read(REF), null);
  } finally {
    await drop();
  }
});

test('readMany answers in the order asked, null for refs it does not hold', async () => {
  const { store, drop } = await freshStore();
  try {
    const refs = ['a', 'b', 'c'].map((p) => ({ runName: 'many', processName: p }));
    await store.save(new ProcessSummary(refs[2] as (typeof refs)[number]));
    await store.save(new ProcessSummary(refs[0] as (typeof refs)[number]));
    const many = await store.readMany([refs[2], refs[1], refs[0]] as typeof refs, { full: false });
    assert.equal(
      many.map((r) => r?.ref.processName ?? null),
      ['c', null, 'a'],
    );
    assert.equal(many[0], await store.read(refs[2] as (typeof refs)[number], { full: false }));
  } finally {
    await drop();
  }
});

test('a pool given to the store is used and left open by close()', async () => {
  const { url } = await testPostgres();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const schema = freshSchema();
  const store = new PgSummaryStore({ pool, schema });
  try {
    await store.save(new ProcessSummary(REF));
    await store.close();
    const rows = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.summaries`);
    assert.is(rows.rows[0].n, 1);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
});

test('a save notifies only while a watcher is registered, and a watcher hears it', async () => {
  const { url } = await testPostgres();
  const { store, schema, drop } = await freshStore();
  const eavesdropper = new pg.Client({ connectionString: url });
  const heard: string[] = [];
  const controller = new AbortController();
  try {
    await store.ready();
    await eavesdropper.connect();
    eavesdropper.on('notification', (message) => heard.push(message.payload ?? ''));
    await eavesdropper.query(`LISTEN "${schema}_changes"`);
    await store.save(new ProcessSummary({ runName: 'quiet', processName: 'collect' }));
    await eavesdropper.query('SELECT 1'); // a round trip: a notification would have arrived
    assert.equal(heard, [], 'no watcher: no NOTIFY');

    const seen: string[] = [];
    const watching = (async () => {
      for await (const ref of store.watch({ signal: controller.signal, intervalMs: 20 })) {
        seen.push(ref.runName);
        if (ref.runName === 'loud') controller.abort();
      }
    })();
    const loud = new ProcessSummary({ runName: 'loud', processName: 'collect' });
    for (let i = 0; i < 200 && !controller.signal.aborted; i++) {
      await store.save(loud);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await watching;
    assert.ok(seen.includes('loud'));
    assert.ok(
      heard.some((payload) => payload.includes('loud')),
      'a watcher: saves NOTIFY',
    );
    const listeners = await (await adminPool()).query(
      `SELECT count(*)::int AS n FROM ${schema}.listeners`,
    );
    assert.is(listeners.rows[0].n, 0, 'the watcher unregistered when it ended');
  } finally {
    controller.abort();
    await eavesdropper.end();
    await drop();
  }
});

test.run();
