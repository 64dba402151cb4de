import {
  createManualClock,
  MAX_NAME_BYTES,
  ProcessSummary,
  type SummaryRef,
  sameRef,
} from '@process-summary/core';
import { testPostgres, waitUntil } from '@process-summary/test-kit';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PgSummaryStore } from '../src/index.js';
import { adminPool, freshStore } from './_helpers.js';

// What the review tried that holds today; kept so it stays so.
const test = suite('what holds');

test('readMany of 10,000 refs, with duplicates and refs it does not hold, answers each in the order asked', async () => {
  const { store, drop } = await freshStore();
  try {
    const held = Array.from({ length: 50 }, (_, i) => ({ runName: 'many', processName: `p${i}` }));
    for (const ref of held) {
      const summary = new ProcessSummary(ref);
      summary.incrementItems({ processed: Number(ref.processName.slice(1)) });
      await store.save(summary);
    }
    const asked: SummaryRef[] = Array.from({ length: 10_000 }, (_, i) =>
      i % 3 === 0
        ? (held[i % held.length] as SummaryRef)
        : { runName: 'many', processName: `missing${i}` },
    );
    const answers = await store.readMany(asked, { full: false });
    assert.is(answers.length, asked.length);
    answers.forEach((answer, i) => {
      const ref = asked[i] as SummaryRef;
      if (ref.processName.startsWith('missing')) assert.is(answer, null, `#${i}`);
      else {
        assert.ok(answer && sameRef(answer.ref, ref), `#${i}`);
        assert.is(answer?.dict?.items_processed, Number(ref.processName.slice(1)), `#${i}`);
      }
    });
    assert.equal(await store.readMany([]), []);
  } finally {
    await drop();
  }
});

test(`names of ${MAX_NAME_BYTES} UTF-8 bytes, multibyte and with quotes, go through save, read, list, events and the watch's notification exactly`, async () => {
  const { store, url, schema, drop } = await freshStore();
  const watcher = new PgSummaryStore({ url, schema });
  const controller = new AbortController();
  const seen: SummaryRef[] = [];
  let watching: Promise<void> = Promise.resolve();
  try {
    // 42 × "€" (3 bytes) + `"'`; `'"` + 31 × "😀" (4 bytes) + "ab"; 64 × "é" (2 bytes): 128 each.
    const ref = {
      runName: `${'€'.repeat(42)}"'`,
      processName: `'"${'😀'.repeat(31)}ab`,
      worker: 'é'.repeat(64),
    };
    const bytes = (s: string) => Buffer.byteLength(s);
    assert.is(bytes(ref.runName), MAX_NAME_BYTES);
    assert.is(bytes(ref.worker), MAX_NAME_BYTES);
    assert.is(bytes(ref.processName), MAX_NAME_BYTES);
    await watcher.ready();
    watching = (async () => {
      for await (const changed of watcher.watch({ signal: controller.signal })) seen.push(changed);
    })();
    const summary = new ProcessSummary(ref);
    summary.addProgressUpdate('named');
    await waitUntil(async () => {
      await store.save(summary);
      return seen.some((r) => sameRef(r, ref));
    });
    assert.ok(sameRef((await store.read(ref))?.ref as SummaryRef, ref));
    const listed = (await store.list({ runName: ref.runName })).summaries;
    assert.equal(
      listed.map((r) => [r.runName, r.processName, r.worker]),
      [[ref.runName, ref.processName, ref.worker]],
    );
    const events = [];
    for await (const record of store.events(ref)) events.push(record);
    assert.ok(events.some((r) => r.event?.type === 'progress'));
  } finally {
    controller.abort();
    await watching;
    await watcher.close();
    await drop();
  }
});

test('a save cancelled by statementTimeoutMs mid-statement did not commit: its journal lines go once, with the next save', async () => {
  // Long enough for the schema's set-up and the first save on a loaded machine; the save the
  // test blocks waits it out.
  const { store, schema, drop } = await freshStore({ statementTimeoutMs: 2000 });
  const ref = { runName: 'timeout', processName: 'collect' };
  const { url } = await testPostgres();
  const blocker = new pg.Client({ connectionString: url });
  try {
    const { lease } = await store.acquire(ref);
    const summary = new ProcessSummary(ref);
    summary.addProgressUpdate('first');
    await store.save(summary, lease);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${schema}.summaries FOR UPDATE`);
    summary.addProgressUpdate('timed out');
    try {
      await store.save(summary, lease);
      assert.unreachable('saved through a locked row');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_STORE_UNAVAILABLE');
    }
    await blocker.query('ROLLBACK');
    summary.addProgressUpdate('next');
    await store.save(summary, lease);
    const rows = await (await adminPool()).query(
      `SELECT event->>'message' AS m FROM ${schema}.journal WHERE event->>'type' = 'progress' ORDER BY seq`,
    );
    assert.equal(
      rows.rows.map((r) => r.m),
      ['first', 'timed out', 'next'],
    );
  } finally {
    await blocker.end().catch(() => {});
    await drop();
  }
});

test('lone surrogates in an error message and a custom metric are stored and read back exactly (json accepts them; jsonb would not)', async () => {
  const { store, drop } = await freshStore();
  const ref = { runName: 'surrogates', processName: 'collect' };
  try {
    const summary = new ProcessSummary({ ...ref, clock: createManualClock(1_750_000_000) });
    summary.addError('Decode', 'bad \ud800 byte');
    summary.setCustomMetric('tail', 'x\udc00');
    const before = summary.getSummaryDict();
    await store.save(summary);
    assert.equal((await store.read(ref))?.dict, before);
    const loaded = await store.load(ref);
    assert.is(loaded?.summary.getSummaryDict().last_error_message, 'bad \ud800 byte');
  } finally {
    await drop();
  }
});

test.run();
