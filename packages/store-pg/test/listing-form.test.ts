import {
  createManualClock,
  LISTING_FIELDS,
  listingOf,
  ProcessSummary,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeListing, encodeListing } from '../src/listing.js';

test('the stored form decodes to listingOf(dict): every field, absent and null kept apart', () => {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', worker: 'w1', clock });
  summary.startProcess();
  summary.setItemsTotal(10);
  summary.incrementItems({ processed: 3, successful: 2, failed: 1, bytes: 2 ** 40 });
  summary.addError('Nul\u0000Type', 'a\u0000b');
  summary.addError('Lone\ud800', 'x');
  summary.setCustomMetric('big', 'y'.repeat(1000));
  const dicts: Record<string, unknown>[] = [
    summary.getSummaryDict() as unknown as Record<string, unknown>,
    { run_name: 'r', process_name: 'p', items_total: null, end_time: null },
    {},
    {
      schema_version: 2,
      eta_seconds: 1.5e-7,
      start_time: -0.5,
      error_types: JSON.parse('{"__proto__": 1}'),
    },
  ];
  for (const dict of dicts) {
    const decoded = decodeListing(encodeListing(dict));
    assert.equal(decoded, listingOf(JSON.parse(JSON.stringify(dict))));
    assert.equal(Object.keys(decoded ?? {}), Object.keys(listingOf(dict) as object));
  }
  const all = Object.fromEntries(LISTING_FIELDS.map((key, i) => [key, i]));
  assert.equal(decodeListing(encodeListing(all)), all);
});

test('summaries with many different sets of fields each decode to their own', () => {
  for (let n = 0; n < 200; n++) {
    const dict = Object.fromEntries(
      LISTING_FIELDS.filter((_, i) => (n * 7919 + i * 31) % 3 !== 0).map((key, i) => [key, n + i]),
    );
    assert.equal(decodeListing(encodeListing(dict)), dict, `#${n}`);
  }
});

test('a key holding undefined is absent, as JSON.stringify leaves it out of the body', () => {
  const decoded = decodeListing(encodeListing({ run_name: 'r', items_total: undefined }));
  assert.equal(decoded, { run_name: 'r' });
  assert.not.ok(decoded !== undefined && 'items_total' in decoded);
});

test('text that is not the stored form decodes to undefined, never to a wrong dict', () => {
  for (const text of [
    '',
    'not json',
    '{"run_name": "r"}',
    '[]',
    '["1", "r"]',
    '[-1]',
    '[1.5, "x"]',
    '[3, "only one value"]',
    '[1, "r", "one too many"]',
    `[${2 ** LISTING_FIELDS.length}]`,
    'null',
  ]) {
    assert.is(decodeListing(text), undefined, text);
  }
  assert.equal(decodeListing('[0]'), {});
});

test.run();
