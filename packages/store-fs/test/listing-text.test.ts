/**
 * A listing's parse of a summary file (`listing-text.ts`): the listed members alone, found in
 * the two-space layout, must give what the whole parse gives for every field a listing reads;
 * any other layout, and any text that is not JSON, must be judged by the whole parse.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManualClock, listingOf, ProcessSummary } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { listedMembersText, parseListedMembers } from '../src/listing-text.js';
import { recordingLogger, removeDir, tempDir } from './_helpers.js';

const fixtures = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/seed-format/runs',
);

/** What a listing reads of a parsed file: the listed fields and the epoch. */
function listed(value: unknown): unknown {
  const epoch = (value as { owner_epoch?: unknown }).owner_epoch;
  return { listing: listingOf(value), epoch };
}

/** A summary as this library writes it, with hostile text in the members a listing skips. */
function writtenSummary(): Record<string, unknown> {
  const clock = createManualClock();
  const summary = new ProcessSummary({ runName: 'harvard_2024', processName: 'collect', clock });
  summary.startProcess();
  summary.setItemsTotal(500);
  for (let i = 0; i < 12; i++) {
    clock.advance(7);
    summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
    summary.addError(i % 2 ? 'NetworkError' : 'status', `line one\n  "status": "completed",\n}`);
    summary.addProgressUpdate(`batch ${i} ]}\n  "items_processed": 1,`, { nested: { a: [1, 2] } });
  }
  summary.setCustomMetric('status', { status: 'failed', items_processed: 99 });
  summary.setCustomMetric('text', '\\"\n  "run_name": "evil",');
  return { ...summary.getSummaryDict(), owner_epoch: 3 } as Record<string, unknown>;
}

function twoSpace(dict: unknown, newline = true): string {
  return `${JSON.stringify(dict, null, 2)}${newline ? '\n' : ''}`;
}

const test = suite('listing-text');

test('a summary this library writes: its listed members alone give the same listing', () => {
  const dict = writtenSummary();
  for (const text of [twoSpace(dict), twoSpace(dict, false)]) {
    const cut = listedMembersText(text);
    assert.ok(cut !== null, 'the two-space layout is recognised');
    assert.ok((cut as string).length < text.length / 2, 'most of the file is not parsed');
    assert.not.ok((cut as string).includes('progress_updates'));
    assert.equal(listed(parseListedMembers(text)), listed(JSON.parse(text)));
  }
});

test('the seed fixtures written by the Python original take the same path', () => {
  let files = 0;
  for (const run of readdirSync(fixtures)) {
    for (const name of readdirSync(join(fixtures, run))) {
      if (!name.endsWith('.json')) continue;
      const text = readFileSync(join(fixtures, run, name), 'utf8');
      files++;
      assert.ok(listedMembersText(text) !== null, `${name}: recognised`);
      assert.equal(listed(parseListedMembers(text)), listed(JSON.parse(text)), name);
    }
  }
  assert.ok(files > 0);
});

test('a listed name written with an escape, a repeated one, a last one: as the whole parse', () => {
  const base = twoSpace({ process_name: 'p', progress_updates: [1], run_name: 'r' });
  const escaped = base.replace('"run_name"', '"run_n\\u0061me"');
  const repeated = base.replace('"run_name": "r"', '"run_name": "r",\n  "run_name": "again"');
  const quoted = twoSpace({ 'a"b': 1, progress_updates: [], status: 'x' });
  for (const text of [base, escaped, repeated, quoted]) {
    assert.ok(listedMembersText(text) !== null, text);
    assert.equal(listed(parseListedMembers(text)), listed(JSON.parse(text)), text);
  }
  assert.is((parseListedMembers(repeated) as { run_name: string }).run_name, 'again');
  assert.is((parseListedMembers(escaped) as { run_name: string }).run_name, 'r');
});

test('other layouts are parsed whole', () => {
  const dict = writtenSummary();
  const layouts = [
    JSON.stringify(dict),
    JSON.stringify(dict, null, 4),
    JSON.stringify(dict, null, '\t'),
    twoSpace(dict).replaceAll('\n', '\r\n'),
    ` ${twoSpace(dict)}`,
    `${twoSpace(dict)}\n\n`,
    '{\n}',
    '{\n  "a": 1 }',
    '[\n  "a"\n]',
  ];
  for (const text of layouts) {
    assert.is(listedMembersText(text), null, JSON.stringify(text.slice(0, 30)));
    assert.equal(parseListedMembers(text), JSON.parse(text));
  }
});

test('nothing left out: the text is parsed whole', () => {
  assert.is(listedMembersText(twoSpace({ run_name: 'r', status: 'running' })), null);
});

test('a file cut short anywhere is not JSON to a listing either', () => {
  const text = twoSpace({
    run_name: 'r',
    progress_updates: [{ message: 'a ]}\n  "b"', items_processed: 1 }],
    custom_metrics: { x: [1, { y: 'z' }] },
    status: 'running',
  });
  for (let length = 0; length < text.length - 1; length++) {
    const prefix = text.slice(0, length);
    assert.throws(() => parseListedMembers(prefix), SyntaxError, `cut at ${length}`);
  }
  assert.equal(listed(parseListedMembers(text.slice(0, -1))), listed(JSON.parse(text)));
});

test('damage in a listed member is reported as the whole parse reports it', () => {
  const text = twoSpace(writtenSummary()).replace('"items_failed": 12', '"items_failed": 1 2');
  let whole: unknown;
  try {
    JSON.parse(text);
  } catch (err) {
    whole = (err as Error).message;
  }
  assert.type(whole, 'string');
  assert.throws(
    () => parseListedMembers(text),
    (err: Error) => err.message === whole,
  );
});

test('damage in a member a listing skips is not seen by it (by design), and is by read', async () => {
  const dir = await tempDir('store-fs-listing-text-');
  try {
    const root = join(dir, 'runs');
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    const dict = writtenSummary();
    delete dict.owner_epoch;
    const text = twoSpace(dict);
    const at = text.indexOf('"progress_updates"') + 40;
    const damaged = `${text.slice(0, at)}\u0000\u0000${text.slice(at + 2)}`;
    assert.throws(() => JSON.parse(damaged), SyntaxError);
    assert.equal(listingOf(parseListedMembers(damaged)), listingOf(dict));

    const path = store.pathFor('harvard_2024', 'collect');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, damaged);
    const ref = { runName: 'harvard_2024', processName: 'collect' };
    const [listing] = await store.readListing([ref]);
    assert.is(listing?.problem, null);
    assert.equal(listing?.dict, listingOf(dict));
    const read = await store.read(ref);
    assert.is(read?.problem?.code, 'E_INVALID_SUMMARY');
  } finally {
    await removeDir(dir);
  }
});

test.run();
